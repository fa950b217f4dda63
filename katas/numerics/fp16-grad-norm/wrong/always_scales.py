"""WRONG: does not clamp the factor to 1, so gradients whose norm is already below max_norm
are scaled up to it.
Caught by: gradients whose total norm is at most max_norm stay exactly as they were."""

from collections.abc import Iterable

import torch
from torch import nn


def clip_fp16_(params: Iterable[nn.Parameter], max_norm: float) -> torch.Tensor:
    grads = [p.grad for p in params if p.grad is not None]
    norms = [torch.linalg.vector_norm(g, dtype=torch.float32) for g in grads]
    total = torch.linalg.vector_norm(torch.stack(norms))
    factor = max_norm / (total + 1e-6)
    for g in grads:
        g.copy_(g.float() * factor)
    return total
