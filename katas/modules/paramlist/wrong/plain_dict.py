"""WRONG: the scales sit in a plain dict keyed by stage index: not registered, just like a list.
Caught by: named_parameters() is scales.0, scales.1, … one per stage."""

from collections.abc import Sequence

import torch
from torch import nn


class StageScales(nn.Module):
    def __init__(self, widths: Sequence[int], init: float = 1e-4) -> None:
        super().__init__()
        self.scales = {i: nn.Parameter(torch.full((w,), init)) for i, w in enumerate(widths)}

    def forward(self, feats: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return [f * self.scales[i] for i, f in enumerate(feats)]
