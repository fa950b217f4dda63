"""WRONG: clips each gradient on its own to max_norm: the directions change, and the total
norm can still be max_norm * sqrt(number of tensors). The returned total is right.
Caught by: gradients over the limit are scaled by one common factor, to a total of max_norm."""

from collections.abc import Iterable

import torch


def clip_(params: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale the gradients of ``params`` in place so their total L2 norm is at most
    ``max_norm``; return the total norm they had before clipping."""
    grads = [p.grad for p in params if p.grad is not None]
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    for grad in grads:
        norm = torch.linalg.vector_norm(grad)
        grad.mul_(torch.clamp(max_norm / (norm + 1e-6), max=1.0))
    return total

