"""WRONG: the heads are registered, but the trunk's layers sit in a plain list, so
.parameters(), .to(), .eval() and state_dict() skip them.
Caught by: Net's parameters include every layer and head."""

from collections.abc import Mapping, Sequence
from itertools import pairwise

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, sizes: Sequence[int], heads: Mapping[str, int]) -> None:
        super().__init__()
        self.layers = [nn.Linear(n_in, n_out) for n_in, n_out in pairwise(sizes)]
        self.heads = nn.ModuleDict(
            {name: nn.Linear(sizes[-1], n_out) for name, n_out in heads.items()}
        )

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        for layer in self.layers:
            x = torch.relu(layer(x))
        return {name: head(x) for name, head in self.heads.items()}
