"""A tower of Linear blocks, each followed by tanh; the number of blocks comes from the config."""

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import nn


class Tower(nn.Module):
    """``widths`` are the feature sizes: ``Tower([16, 32, 8])`` has blocks 16→32 and 32→8."""

    def __init__(self, widths: Sequence[int]) -> None:
        super().__init__()
        for i, (n_in, n_out) in enumerate(pairwise(widths)):
            # The name is computed, so register through add_module: block_0, block_1, …
            self.add_module(f"block_{i}", nn.Linear(n_in, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.children():  # registration order: block_0, block_1, …
            x = torch.tanh(block(x))
        return x


if __name__ == "__main__":
    tower = Tower([16, 32, 24, 8])
    print("children:", [name for name, _ in tower.named_children()])
    print("state_dict keys:", list(tower.state_dict()))
