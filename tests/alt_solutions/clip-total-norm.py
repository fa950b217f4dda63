"""clip-total-norm, written differently: the norm of all gradients flattened into one vector
(reshape, which copies non-contiguous gradients), and scaling only when over the limit."""

from collections.abc import Iterable

import torch


def clip_(params: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale the gradients of ``params`` in place so their total L2 norm is at most
    ``max_norm``; return the total norm they had before clipping."""
    grads = [p.grad for p in params if p.grad is not None]
    total = torch.cat([g.reshape(-1) for g in grads]).norm(2)
    if total > max_norm:
        factor = max_norm / total
        for grad in grads:
            grad.mul_(factor)
    return total
