"""WRONG: `self.block = ...` in the loop: each iteration replaces the block registered
before, so only the last one is trained and saved; the plain list hides it in forward.
Caught by: named_children() is block_0, block_1, … in order."""

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import nn


class Tower(nn.Module):
    def __init__(self, widths: Sequence[int]) -> None:
        super().__init__()
        self.blocks = []
        for n_in, n_out in pairwise(widths):
            self.block = nn.Linear(n_in, n_out)
            self.blocks.append(self.block)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = torch.tanh(block(x))
        return x
