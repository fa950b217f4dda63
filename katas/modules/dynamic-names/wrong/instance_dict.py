"""WRONG: writes the blocks into self.__dict__, which bypasses Module.__setattr__: the
attributes exist (forward works), but nothing is registered.
Caught by: named_children() is block_0, block_1, … in order."""

from collections.abc import Sequence

import torch
from torch import nn


class Tower(nn.Module):
    def __init__(self, widths: Sequence[int]) -> None:
        super().__init__()
        self.depth = len(widths) - 1
        for i in range(self.depth):
            self.__dict__[f"block_{i}"] = nn.Linear(widths[i], widths[i + 1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(self.depth):
            x = torch.tanh(getattr(self, f"block_{i}")(x))
        return x
