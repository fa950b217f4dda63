"""WRONG: the trunk is registered twice (a ModuleList, and a Sequential kept "for export"):
parameters() hides the duplicates, but state_dict() saves every trunk weight twice and
checkpoints from the real model no longer load strictly.
Caught by: state_dict keys are layers.<i>.* and heads.<task>.*."""

from collections.abc import Mapping, Sequence
from itertools import pairwise

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, sizes: Sequence[int], heads: Mapping[str, int]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(n_in, n_out) for n_in, n_out in pairwise(sizes))
        self.trunk = nn.Sequential(*self.layers)
        self.heads = nn.ModuleDict(
            {name: nn.Linear(sizes[-1], n_out) for name, n_out in heads.items()}
        )

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        for layer in self.layers:
            x = torch.relu(layer(x))
        return {name: head(x) for name, head in self.heads.items()}
