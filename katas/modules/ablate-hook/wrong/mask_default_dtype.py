"""WRONG: multiplies by a mask made with torch.ones(C): float32 on the CPU whatever the output's
dtype and device, so a bfloat16 model's output turns float32 and a GPU model's fails.
Caught by: the ablated output keeps the module's dtype and device."""

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


@contextmanager
def ablate(module: nn.Module, channel: int) -> Iterator[None]:
    def hook(module, args, output):
        mask = torch.ones(output.shape[1])
        mask[channel] = 0
        return output * mask.view(1, -1, *[1] * (output.dim() - 2))

    handle = module.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()
