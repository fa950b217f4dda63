"""WRONG: computes everything in the input's dtype. In float16, x**2 overflows above 256,
the mean square is inf and the output 0.
Caught by: float16 inputs up to 1e3 give the float32 result, rounded to float16."""

import torch
from torch import nn


class RMSNorm(nn.Module):
    """Scales each vector along the last dim to unit root mean square, then by a learned gain."""

    def __init__(self, d: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        normed = x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        return normed * self.weight
