"""WRONG: loops over params twice, once for the norm and once to scale. With a list that
works; with a generator such as model.parameters() the second loop finds it empty, so
nothing is clipped.
Caught by: works when params is a generator, such as model.parameters()."""

from collections.abc import Iterable

import torch


def clip_(params: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale the gradients of ``params`` in place so their total L2 norm is at most
    ``max_norm``; return the total norm they had before clipping."""
    norms = [torch.linalg.vector_norm(p.grad) for p in params if p.grad is not None]
    total = torch.linalg.vector_norm(torch.stack(norms))
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for p in params:
        if p.grad is not None:
            p.grad.mul_(scale)
    return total

