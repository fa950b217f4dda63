"""WRONG: handles bias=False as nn.Linear does, but makes it the default: ScaledLinear(n, m)
silently has no bias, where nn.Linear(n, m) (and the interface) has one.
Caught by: named_parameters() is weight and bias, or only weight with bias=False."""

import math

import torch
import torch.nn.functional as F
from torch import nn


class ScaledLinear(nn.Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = False) -> None:
        super().__init__()
        self.scale = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.zeros(out_features))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias)
