"""WRONG: removes the padding by multiplying with the mask and clamps the count: right for
finite padding and empty rows, but NaN * 0 and inf * 0 are NaN, so one NaN left in the padding
turns the row's embedding into NaN.
Caught by: NaN or inf at padded steps does not reach the result."""

import torch


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(dim=1) / m.sum(dim=1).clamp(min=1)
