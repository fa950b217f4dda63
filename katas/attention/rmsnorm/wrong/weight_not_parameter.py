"""WRONG: the gain is a plain tensor attribute: not registered, so the optimizer never
updates it and it is missing from the state_dict.
Caught by: weight is RMSNorm's only parameter: shape (d,), starting at ones."""

import torch
from torch import nn


class RMSNorm(nn.Module):
    """Scales each vector along the last dim to unit root mean square, then by a learned gain."""

    def __init__(self, d: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = torch.ones(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # float32 at least for the statistic: in float16, x**2 overflows above 256
        wide = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        # no mean subtraction (that would be LayerNorm); eps inside the square root
        mean_square = wide.pow(2).mean(dim=-1, keepdim=True)
        normed = wide * torch.rsqrt(mean_square + self.eps)
        return (normed * self.weight.to(wide.dtype)).to(x.dtype)

