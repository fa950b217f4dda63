"""WRONG: a forward pre-hook zeroes channel k of the module's INPUT, not of its output.
Caught by: inside ablate(module, k), the model runs with channel k of module's output zeroed."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


@contextmanager
def ablate(module: nn.Module, channel: int) -> Iterator[None]:
    """Inside ``with ablate(module, k):``, channel k (dim 1) of ``module``'s output is zero."""

    def hook(module: nn.Module, args: Any) -> tuple[torch.Tensor, ...]:
        ablated = args[0].clone()
        ablated[:, channel] = 0
        return (ablated, *args[1:])

    handle = module.register_forward_pre_hook(hook)
    try:
        yield
    finally:
        handle.remove()

