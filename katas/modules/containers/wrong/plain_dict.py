"""WRONG: the trunk is registered, but the heads sit in a plain dict.
Caught by: Net's parameters include every layer and head."""

from collections.abc import Mapping, Sequence
from itertools import pairwise

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, sizes: Sequence[int], heads: Mapping[str, int]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(n_in, n_out) for n_in, n_out in pairwise(sizes))
        self.heads = {name: nn.Linear(sizes[-1], n_out) for name, n_out in heads.items()}

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        for layer in self.layers:
            x = torch.relu(layer(x))
        return {name: head(x) for name, head in self.heads.items()}
