"""WRONG: zeroes the channel in place in the module's output, with proper cleanup. Backward then
fails for modules that saved their output (Sigmoid, Tanh), and a module that returns its input
(Dropout in eval mode) has the channel wiped from the skip connection too.
Caught by: backward inside ablate works and gives the ablated model's gradients (Sigmoid,
Tanh too) (also: ablating a Dropout in eval mode (it returns its input) leaves the skip
connection alone)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


@contextmanager
def ablate(module: nn.Module, channel: int) -> Iterator[None]:
    """Inside ``with ablate(module, k):``, channel k (dim 1) of ``module``'s output is zero."""

    def hook(module: nn.Module, args: Any, output: torch.Tensor) -> torch.Tensor:
        output[:, channel] = 0
        return output

    handle = module.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()

