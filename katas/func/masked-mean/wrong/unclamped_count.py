"""WRONG: selects the valid steps with torch.where but divides by the raw count: a row with no
valid step gives 0 / 0 = NaN.
Caught by: a row with no valid step gives zeros."""

import torch


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    keep = mask.unsqueeze(-1)
    return torch.where(keep, x, 0.0).sum(dim=1) / keep.sum(dim=1)
