"""WRONG: clips correctly, but returns the norm as a Python float (via .item()) instead of a
0-dim tensor as clip_grad_norm_ does (and .item() waits for the GPU at every step).
Caught by: returns the L2 norm of all gradients together, from before clipping."""

from collections.abc import Iterable

import torch


def clip_(params: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale the gradients of ``params`` in place so their total L2 norm is at most
    ``max_norm``; return the total norm they had before clipping."""
    grads = [p.grad for p in params if p.grad is not None]
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for grad in grads:
        grad.mul_(scale)
    return total.item()

