"""WRONG: bias=False stores a plain zero tensor: not registered, so .to() leaves it behind
(forward crashes on another device), and init routines that test `m.bias is not None` write
into it.
Caught by: with bias=False, layer.bias is None, as in nn.Linear (also: every tensor the layer
uses follows .to())"""

import math

import torch
from torch import nn


class ScaledLinear(nn.Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.scale = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else torch.zeros(out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight.T * self.scale + self.bias
