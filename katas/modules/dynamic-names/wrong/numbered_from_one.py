"""WRONG: enumerate(..., start=1) names the blocks block_1 … block_n: registered, trained,
but no old checkpoint loads (block_0.weight is missing).
Caught by: named_children() is block_0, block_1, … in order."""

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import nn


class Tower(nn.Module):
    def __init__(self, widths: Sequence[int]) -> None:
        super().__init__()
        for i, (n_in, n_out) in enumerate(pairwise(widths), start=1):
            self.add_module(f"block_{i}", nn.Linear(n_in, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.children():
            x = torch.tanh(block(x))
        return x
