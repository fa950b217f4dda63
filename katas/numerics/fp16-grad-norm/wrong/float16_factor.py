"""WRONG: computes the norm in float32, but converts the factor to the gradients' dtype
before multiplying: 1e-5 is subnormal in float16 and keeps only a digit or two, so every
clipped gradient is off by a few tenths of a percent.
Caught by: the gradients are scaled by max_norm / total, each rounded once to float16."""

from collections.abc import Iterable

import torch
from torch import nn


def clip_fp16_(params: Iterable[nn.Parameter], max_norm: float) -> torch.Tensor:
    grads = [p.grad for p in params if p.grad is not None]
    norms = [torch.linalg.vector_norm(g, dtype=torch.float32) for g in grads]
    total = torch.linalg.vector_norm(torch.stack(norms))
    factor = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(factor.to(g.dtype))
    return total
