"""Masked mean with NaN as the marker of "not a value": padded steps are set to NaN with
masked_fill, nanmean skips them, and an empty row's NaN mean becomes 0."""

import torch


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    marked = x.masked_fill(~mask.unsqueeze(-1), float("nan"))
    return marked.nanmean(dim=1).nan_to_num(nan=0.0)
