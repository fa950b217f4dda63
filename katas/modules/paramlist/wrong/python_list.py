"""WRONG: a Python list of nn.Parameters, built with append: none of them is registered,
so the optimizer, state_dict() and .to() skip every scale.
Caught by: named_parameters() is scales.0, scales.1, … one per stage."""

from collections.abc import Sequence

import torch
from torch import nn


class StageScales(nn.Module):
    def __init__(self, widths: Sequence[int], init: float = 1e-4) -> None:
        super().__init__()
        self.scales = []
        for width in widths:
            self.scales.append(nn.Parameter(init * torch.ones(width)))

    def forward(self, feats: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return [feats[i] * self.scales[i] for i in range(len(feats))]
