"""Second solution for optional-bias: assign None (the name stays a plain None attribute)."""

import torch
from torch import nn


class ScaledLinear(nn.Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = in_features
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = (x @ self.weight.T) / self.in_features**0.5
        if self.bias is not None:
            out = out + self.bias
        return out
