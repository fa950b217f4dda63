"""WRONG: the mean square computed under no_grad, as if it were a constant: the forward
values are right, but the gradient for x misses the path through the statistic.
Caught by: gradients for x and weight equal F.rms_norm's."""

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
        with torch.no_grad():
            scale = torch.rsqrt(wide.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        normed = wide * scale
        return (normed * self.weight.to(wide.dtype)).to(x.dtype)
