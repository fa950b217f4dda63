"""WRONG: bias=False registers a zero buffer: it moves with .to() and is not trained, but it
is saved in state_dict (nn.Linear(bias=False) checkpoints lack it) and layer.bias is not None.
Caught by: state_dict loads strictly from and into nn.Linear of the same shape (also:
layer.bias is None)."""

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
            self.register_buffer("bias", torch.zeros(out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight.T * self.scale + self.bias
