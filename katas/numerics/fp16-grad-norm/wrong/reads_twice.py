"""WRONG: reads params twice, once for the norm and once to scale: a generator such as
model.parameters() is empty the second time, so nothing is clipped.
Caught by: the gradients are scaled by max_norm / total, each rounded once to float16."""

from collections.abc import Iterable

import torch
from torch import nn


def clip_fp16_(params: Iterable[nn.Parameter], max_norm: float) -> torch.Tensor:
    norms = [
        torch.linalg.vector_norm(p.grad, dtype=torch.float32)
        for p in params
        if p.grad is not None
    ]
    total = torch.linalg.vector_norm(torch.stack(norms))
    factor = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for p in params:
        if p.grad is not None:
            p.grad.copy_(p.grad.float() * factor)
    return total
