"""WRONG: registers the absent bias as None, but forward still adds self.bias, so
ScaledLinear(..., bias=False)(x) raises a TypeError.
Caught by: layer(x) is x @ weight.T / sqrt(in_features) (+ bias)."""

import math

import torch
from torch import nn


class ScaledLinear(nn.Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.scale = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.zeros(out_features))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight.T * self.scale + self.bias
