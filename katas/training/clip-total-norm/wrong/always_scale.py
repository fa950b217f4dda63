"""WRONG: always multiplies by max_norm / total, with no clamp at 1: gradients under the limit
are scaled up to max_norm.
Caught by: gradients under the limit stay bitwise unchanged."""

from collections.abc import Iterable

import torch


def clip_(params: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale the gradients of ``params`` in place so their total L2 norm is at most
    ``max_norm``; return the total norm they had before clipping."""
    grads = [p.grad for p in params if p.grad is not None]
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    for grad in grads:
        grad.mul_(max_norm / (total + 1e-6))
    return total

