"""Gradient clipping for a model trained entirely in float16."""

from collections.abc import Iterable

import torch
from torch import nn


def clip_fp16_(params: Iterable[nn.Parameter], max_norm: float) -> torch.Tensor:
    """Scale the float16 gradients so their global norm is at most max_norm, in place, and
    return the global norm before clipping as a float32 0-dim tensor."""
    grads = [p.grad for p in params if p.grad is not None]  # read a generator only once
    if not grads:
        return torch.zeros((), dtype=torch.float32)
    # Squares of float16 values overflow past 65504: accumulate every norm in float32.
    norms = [torch.linalg.vector_norm(g, dtype=torch.float32) for g in grads]
    total = torch.linalg.vector_norm(torch.stack(norms))
    # The factor is tiny for a large norm (1e-5 is subnormal in float16): keep it in
    # float32, multiply in float32, and round to float16 once, in place.
    factor = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.copy_(g.float() * factor)
    return total


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Linear(40, 30).half()
    for p in model.parameters():
        p.grad = (torch.randn(p.shape) * 3000).half()  # a loss spike
    total = clip_fp16_(model.parameters(), max_norm=1.0)
    print("total norm:", total.item(), "(about 105000 expected)")
    print("largest clipped gradient:", model.weight.grad.abs().max().item())
