"""WRONG: zeroes the padding with masked_fill_, in place: the result is right, but the caller's
hidden states now hold zeros where they held the padding's values.
Caught by: masked_mean(x, mask)[b] is the mean of x[b, t] over the valid steps t of row b."""

import torch


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    keep = mask.unsqueeze(-1)
    total = x.masked_fill_(~keep, 0.0).sum(dim=1)
    return total / keep.sum(dim=1).clamp(min=1)
