"""Second solution for dynamic-names: setattr in the loop, getattr by number in forward."""

from collections.abc import Sequence

import torch
from torch import nn


class Tower(nn.Module):
    def __init__(self, widths: Sequence[int]) -> None:
        super().__init__()
        self.depth = len(widths) - 1
        for i in range(self.depth):
            # setattr goes through Module.__setattr__, which registers the Linear as block_<i>
            setattr(self, f"block_{i}", nn.Linear(widths[i], widths[i + 1]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(self.depth):
            x = torch.tanh(getattr(self, f"block_{i}")(x))
        return x
