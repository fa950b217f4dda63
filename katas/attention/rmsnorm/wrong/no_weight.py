"""WRONG: normalises but never multiplies by weight: the learned gain has no effect.
Caught by: equals F.rms_norm on inputs with a non-zero mean and a small scale, and leaves x
alone."""

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
        return normed.to(x.dtype)
