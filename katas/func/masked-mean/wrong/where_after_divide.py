"""WRONG: guards the empty rows with torch.where after dividing: the forward pass gives 0
there, but backward still goes through the 0 / 0 branch, and its NaN gradient reaches x
through the multiplication by the mask (NaN * 0 = NaN).
Caught by: x.grad is finite: the valid steps' share of the upstream gradient, 0 at padded
steps."""

import torch


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(x.dtype)
    count = m.sum(dim=1)
    return torch.where(count > 0, (x * m).sum(dim=1) / count, 0.0)
