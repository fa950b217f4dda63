"""Second solution for paramlist: an empty ParameterList filled with plain tensors (wrapped)."""

from collections.abc import Sequence

import torch
from torch import nn


class StageScales(nn.Module):
    def __init__(self, widths: Sequence[int], init: float = 1e-4) -> None:
        super().__init__()
        self.scales = nn.ParameterList()
        for width in widths:
            # ParameterList wraps a plain tensor in an nn.Parameter when it is appended
            self.scales.append(torch.ones(width) * init)

    def forward(self, feats: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return [feats[i] * self.scales[i] for i in range(len(self.scales))]
