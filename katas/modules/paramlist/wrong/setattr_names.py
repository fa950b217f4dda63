"""WRONG: every scale is registered (setattr), but as scale_0, scale_1, …, with a plain list
for indexing: trained, but the checkpoint keys are not scales.0, scales.1, …
Caught by: named_parameters() is scales.0, scales.1, … one per stage."""

from collections.abc import Sequence

import torch
from torch import nn


class StageScales(nn.Module):
    def __init__(self, widths: Sequence[int], init: float = 1e-4) -> None:
        super().__init__()
        self.scales = []
        for i, width in enumerate(widths):
            setattr(self, f"scale_{i}", nn.Parameter(torch.full((width,), init)))
            self.scales.append(getattr(self, f"scale_{i}"))

    def forward(self, feats: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return [f * scale for f, scale in zip(feats, self.scales)]
