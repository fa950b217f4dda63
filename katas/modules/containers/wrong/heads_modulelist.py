"""WRONG: every module is registered, but the heads lose their names: the checkpoint keys
become heads.0.weight instead of heads.cls.weight, so existing checkpoints no longer load.
Caught by: state_dict keys are layers.<i>.* and heads.<task>.*."""

from collections.abc import Mapping, Sequence
from itertools import pairwise

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, sizes: Sequence[int], heads: Mapping[str, int]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(n_in, n_out) for n_in, n_out in pairwise(sizes))
        self.head_names = list(heads)
        self.heads = nn.ModuleList(nn.Linear(sizes[-1], n_out) for n_out in heads.values())

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        for layer in self.layers:
            x = torch.relu(layer(x))
        return {name: head(x) for name, head in zip(self.head_names, self.heads)}
