"""WRONG: takes each gradient's norm, then the norm of those norms, all in float16: the total
is inf once it passes 65504, even when each gradient's own norm is below it.
Caught by: clip_fp16_ returns the global norm as a float32 0-dim tensor, exact above 65504."""

from collections.abc import Iterable

import torch
from torch import nn


def clip_fp16_(params: Iterable[nn.Parameter], max_norm: float) -> torch.Tensor:
    grads = [p.grad for p in params if p.grad is not None]
    total = torch.stack([g.norm() for g in grads]).norm().float()
    factor = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.copy_(g.float() * factor)
    return total
