"""LayerScale for a hierarchical backbone: one learnable per-channel scale vector per stage."""

from collections.abc import Sequence

import torch
from torch import nn


class StageScales(nn.Module):
    """Scales stage i's features (..., widths[i]) by ``scales[i]``, which starts at ``init``."""

    def __init__(self, widths: Sequence[int], init: float = 1e-4) -> None:
        super().__init__()
        # TODO: the optimizer, state_dict() and .to() never see these scales.
        self.scales = [nn.Parameter(torch.full((width,), init)) for width in widths]

    def forward(self, feats: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return [f * scale for f, scale in zip(feats, self.scales)]


if __name__ == "__main__":
    module = StageScales([96, 192, 384, 768])
    print("parameters:", [name for name, _ in module.named_parameters()])
