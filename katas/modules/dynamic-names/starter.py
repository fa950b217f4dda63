"""A tower of Linear blocks, each followed by tanh; the number of blocks comes from the config."""

from collections.abc import Sequence

import torch
from torch import nn


class Tower(nn.Module):
    """``widths`` are the feature sizes: ``Tower([16, 32, 8])`` has blocks 16→32 and 32→8."""

    def __init__(self, widths: Sequence[int]) -> None:
        super().__init__()
        self.blocks = []
        for i in range(len(widths) - 1):
            # TODO: only one block ends up registered. Each must be registered as block_<i>.
            self.block = nn.Linear(widths[i], widths[i + 1])
            self.blocks.append(self.block)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = torch.tanh(block(x))
        return x


if __name__ == "__main__":
    tower = Tower([16, 32, 24, 8])
    print("children:", [name for name, _ in tower.named_children()])
    print("state_dict keys:", list(tower.state_dict()))
