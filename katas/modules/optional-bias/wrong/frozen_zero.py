"""WRONG: bias=False creates a frozen zero Parameter (requires_grad=False): never trained,
but still a parameter, still saved, so nn.Linear(bias=False) checkpoints fail to load strictly.
Caught by: named_parameters() is weight and bias, or only weight with bias=False."""

import math

import torch
from torch import nn


class ScaledLinear(nn.Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.scale = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features), requires_grad=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight.T * self.scale + self.bias
