"""WRONG: multiplies by a mask of the output's dtype, but made on the CPU (torch.ones(C,
dtype=...)): a model on a GPU fails with "Expected all tensors to be on the same device".
Caught by: the ablated output keeps the module's dtype and device (on a CPU, the meta device
stands in for the GPU)."""

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


@contextmanager
def ablate(module: nn.Module, channel: int) -> Iterator[None]:
    def hook(module, args, output):
        mask = torch.ones(output.shape[1], dtype=output.dtype)
        mask[channel] = 0
        return output * mask.view(1, -1, *[1] * (output.dim() - 2))

    handle = module.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()
