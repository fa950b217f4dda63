"""WRONG: the scales are in a ParameterList, and also in a ParameterDict keyed by stage name "for
logging": parameters() hides the duplicates, but state_dict() saves every scale twice
(scales.0 and by_stage.stage0), so checkpoints of the real model no longer load strictly.
Caught by: named_parameters() is scales.0, scales.1, … one per stage (and so is state_dict())."""

from collections.abc import Sequence

import torch
from torch import nn


class StageScales(nn.Module):
    def __init__(self, widths: Sequence[int], init: float = 1e-4) -> None:
        super().__init__()
        self.scales = nn.ParameterList(nn.Parameter(torch.full((w,), init)) for w in widths)
        self.by_stage = nn.ParameterDict({f"stage{i}": p for i, p in enumerate(self.scales)})

    def forward(self, feats: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return [f * scale for f, scale in zip(feats, self.scales, strict=True)]
