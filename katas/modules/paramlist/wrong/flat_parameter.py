"""WRONG: one flat Parameter for all stages, split in forward: trained, but module.scales[i]
is a view, not a Parameter, and the checkpoint has one key instead of scales.0, scales.1, …
Caught by: named_parameters() is scales.0, scales.1, … one per stage (and module.scales[i]
is not an nn.Parameter)."""

from collections.abc import Sequence

import torch
from torch import nn


class StageScales(nn.Module):
    def __init__(self, widths: Sequence[int], init: float = 1e-4) -> None:
        super().__init__()
        self.widths = list(widths)
        self.flat = nn.Parameter(torch.full((sum(widths),), init))

    @property
    def scales(self) -> tuple[torch.Tensor, ...]:
        return torch.split(self.flat, self.widths)

    def forward(self, feats: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return [f * scale for f, scale in zip(feats, self.scales)]
