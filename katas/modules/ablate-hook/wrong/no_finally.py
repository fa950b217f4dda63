"""WRONG: removes the hook after the yield, outside a finally block: when the with block raises,
the removal never runs and the model stays ablated.
Caught by: the module is restored even if the with block raises."""

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
        ablated[:, channel] = 0
        return ablated

    handle = module.register_forward_hook(hook)
    yield
    handle.remove()

