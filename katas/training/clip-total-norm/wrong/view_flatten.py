"""WRONG: flattens the gradients with view(-1), which fails on non-contiguous ones (a
channels_last convolution weight's gradient).
Caught by: works on non-contiguous gradients (channels_last convolution weights)."""

from collections.abc import Iterable

import torch


def clip_(params: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale the gradients of ``params`` in place so their total L2 norm is at most
    ``max_norm``; return the total norm they had before clipping."""
    grads = [p.grad for p in params if p.grad is not None]
    total = torch.linalg.vector_norm(torch.cat([g.view(-1) for g in grads]))
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for grad in grads:
        grad.mul_(scale)
    return total

