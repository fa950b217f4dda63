"""Second solution for containers: an nn.Sequential trunk, heads added to a ModuleDict by name."""

from collections.abc import Mapping, Sequence

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, sizes: Sequence[int], heads: Mapping[str, int]) -> None:
        super().__init__()
        # nn.Sequential registers its modules under "0", "1", …, and indexes like a list.
        self.layers = nn.Sequential(
            *(nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1))
        )
        self.heads = nn.ModuleDict()
        for task, width in heads.items():
            self.heads.add_module(task, nn.Linear(sizes[-1], width))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        for layer in self.layers:
            x = torch.relu(layer(x))
        return {task: self.heads[task](x) for task in self.heads}
