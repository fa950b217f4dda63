"""WRONG: sums the squared gradients in float16: one entry of 300 already squares to 90000,
beyond float16's 65504, so the norm is inf and the gradients are zeroed.
Caught by: clip_fp16_ returns the global norm as a float32 0-dim tensor, exact above 65504."""

from collections.abc import Iterable

import torch
from torch import nn


def clip_fp16_(params: Iterable[nn.Parameter], max_norm: float) -> torch.Tensor:
    grads = [p.grad for p in params if p.grad is not None]
    total = torch.sqrt(sum(g.pow(2).sum() for g in grads))
    factor = (max_norm / (total.float() + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.copy_(g.float() * factor)
    return total.float()
