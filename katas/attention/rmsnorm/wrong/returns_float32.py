"""WRONG: computes in float32 but forgets to cast back: a float16 layer returns float32.
Caught by: float16 inputs up to 1e3 give the float32 result, rounded to float16 (also: the
output has the input's dtype: bfloat16 and float64 too)."""

import torch
from torch import nn


class RMSNorm(nn.Module):
    """Scales each vector along the last dim to unit root mean square, then by a learned gain."""

    def __init__(self, d: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        wide = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        normed = wide * torch.rsqrt(wide.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        return normed * self.weight.float()
