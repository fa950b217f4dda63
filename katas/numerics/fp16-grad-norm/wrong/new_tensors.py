"""WRONG: assigns each parameter a new, correctly clipped float16 gradient instead of scaling
the old one in place: an optimizer or a hook that holds the old tensor still sees the
unclipped values.
Caught by: the gradients are scaled in place: the same float16 tensors as before."""

from collections.abc import Iterable

import torch
from torch import nn


def clip_fp16_(params: Iterable[nn.Parameter], max_norm: float) -> torch.Tensor:
    params = [p for p in params if p.grad is not None]
    norms = [torch.linalg.vector_norm(p.grad, dtype=torch.float32) for p in params]
    total = torch.linalg.vector_norm(torch.stack(norms))
    factor = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for p in params:
        p.grad = (p.grad.float() * factor).half()
    return total
