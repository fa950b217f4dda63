"""Gradient clipping for a model trained entirely in float16."""

from collections.abc import Iterable

import torch
from torch import nn


def clip_fp16_(params: Iterable[nn.Parameter], max_norm: float) -> torch.Tensor:
    """Scale the float16 gradients so their global norm is at most max_norm, in place, and
    return the global norm before clipping as a float32 0-dim tensor."""
    grads = [p.grad for p in list(params) if p.grad is not None]
    # One float32 sum of squares over everything: each tensor upcast as it is reduced.
    squares = sum(g.float().square().sum() for g in grads)
    total = torch.as_tensor(squares, dtype=torch.float32).sqrt()
    if total > max_norm:
        factor = max_norm / (total + 1e-6)
        for g in grads:
            g.mul_(factor)  # factor is a float32 tensor: the product is formed in float32
    return total
