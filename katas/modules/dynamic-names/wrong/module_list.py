"""WRONG: every block is registered, but inside a ModuleList, so the names are blocks.0,
blocks.1, … and the old checkpoints (block_0.weight, …) no longer load.
Caught by: named_children() is block_0, block_1, … in order (also: the old checkpoint)."""

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import nn


class Tower(nn.Module):
    def __init__(self, widths: Sequence[int]) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(nn.Linear(n_in, n_out) for n_in, n_out in pairwise(widths))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = torch.tanh(block(x))
        return x
