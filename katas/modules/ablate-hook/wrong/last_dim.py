"""WRONG: zeroes index k of the LAST dim: the same as the channel for (N, C) outputs, but for a
convolution's (N, C, H, W) output it zeroes a column of every channel.
Caught by: inside ablate(module, k), the model runs with channel k of module's output zeroed."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


@contextmanager
def ablate(module: nn.Module, channel: int) -> Iterator[None]:
    """Inside ``with ablate(module, k):``, channel k (dim 1) of ``module``'s output is zero."""

    def hook(module: nn.Module, args: Any, output: torch.Tensor) -> torch.Tensor:
        ablated = output.clone()
        ablated[..., channel] = 0
        return ablated

    handle = module.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()

