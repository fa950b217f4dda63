"""WRONG: nn.ModuleList accepts Modules only; an nn.Parameter is not one, so building the
module raises TypeError.
Caught by: every check (the TypeError names nn.ParameterList)."""

from collections.abc import Sequence

import torch
from torch import nn


class StageScales(nn.Module):
    def __init__(self, widths: Sequence[int], init: float = 1e-4) -> None:
        super().__init__()
        self.scales = nn.ModuleList(nn.Parameter(torch.full((w,), init)) for w in widths)

    def forward(self, feats: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return [f * scale for f, scale in zip(feats, self.scales)]
