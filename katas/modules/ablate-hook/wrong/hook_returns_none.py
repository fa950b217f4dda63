"""WRONG: computes the ablated tensor but does not return it: a forward hook that returns None
leaves the module's output as it was, so nothing is ablated.
Caught by: inside ablate(module, k), the model runs with channel k of module's output zeroed."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


@contextmanager
def ablate(module: nn.Module, channel: int) -> Iterator[None]:
    """Inside ``with ablate(module, k):``, channel k (dim 1) of ``module``'s output is zero."""

    def hook(module: nn.Module, args: Any, output: torch.Tensor) -> None:
        output = output.clone()
        output[:, channel] = 0

    handle = module.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()

