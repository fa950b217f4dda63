"""WRONG: assigns new tensors to p.grad instead of scaling them in place. The values are
right, but whoever holds the old gradient tensors (DDP's buckets, a hook) sees them
unclipped.
Caught by: the .grad tensors themselves are scaled, in place."""

from collections.abc import Iterable

import torch


def clip_(params: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale the gradients of ``params`` in place so their total L2 norm is at most
    ``max_norm``; return the total norm they had before clipping."""
    params = [p for p in params if p.grad is not None]
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params]))
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for p in params:
        p.grad = p.grad * scale
    return total

