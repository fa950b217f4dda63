"""WRONG: the name is computed, but `self.name = ...` registers every block under the
literal name "name", each one replacing the previous: one attribute overwritten each iteration.
Caught by: named_children() is block_0, block_1, … in order."""

from collections.abc import Sequence

import torch
from torch import nn


class Tower(nn.Module):
    def __init__(self, widths: Sequence[int]) -> None:
        super().__init__()
        self.blocks = []
        for i in range(len(widths) - 1):
            name = f"block_{i}"
            self.name = nn.Linear(widths[i], widths[i + 1])
            self.blocks.append(self.name)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = torch.tanh(block(x))
        return x
