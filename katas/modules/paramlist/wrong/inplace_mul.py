"""WRONG: scales each stage's features in place (f.mul_(scale), as timm's LayerScale does with
inplace=True): the returned values are right, but the caller's feature tensors are overwritten,
so a residual branch or a second head that reads them sees scaled features.
Caught by: forward leaves the caller's feats unchanged."""

from collections.abc import Sequence

import torch
from torch import nn


class StageScales(nn.Module):
    def __init__(self, widths: Sequence[int], init: float = 1e-4) -> None:
        super().__init__()
        self.scales = nn.ParameterList(nn.Parameter(torch.full((w,), init)) for w in widths)

    def forward(self, feats: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return [f.mul_(scale) for f, scale in zip(feats, self.scales, strict=True)]
