"""WRONG: the right names, registered in string-sorted order (as from a config dict with
sorted keys): block_10 and block_11 come before block_2, so named_children(), hook scripts
and children() see the blocks out of order, though this forward looks them up by number.
Caught by: named_children() is block_0, block_1, … in order."""

from collections.abc import Sequence

import torch
from torch import nn


class Tower(nn.Module):
    def __init__(self, widths: Sequence[int]) -> None:
        super().__init__()
        self.depth = len(widths) - 1
        blocks = {f"block_{i}": nn.Linear(widths[i], widths[i + 1]) for i in range(self.depth)}
        for name in sorted(blocks):
            self.add_module(name, blocks[name])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(self.depth):
            x = torch.tanh(getattr(self, f"block_{i}")(x))
        return x
