"""WRONG: builds the ablated output from output.detach(): the forward values are right, but the
output is cut from the graph, so no gradient reaches the input or the earlier layers.
Caught by: backward inside ablate works and gives the ablated model's gradients (Sigmoid,
Tanh too)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


@contextmanager
def ablate(module: nn.Module, channel: int) -> Iterator[None]:
    """Inside ``with ablate(module, k):``, channel k (dim 1) of ``module``'s output is zero."""

    def hook(module: nn.Module, args: Any, output: torch.Tensor) -> torch.Tensor:
        ablated = output.detach().clone()
        ablated[:, channel] = 0
        return ablated

    handle = module.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()

