"""A Linear layer in the NTK parametrisation: N(0, 1) weights, output scaled by 1/sqrt(fan-in)."""

import math

import torch
from torch import nn


class ScaledLinear(nn.Module):
    """``x @ weight.T / sqrt(in_features) + bias``; ``bias=False`` means no bias at all."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.scale = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.zeros(out_features))
        else:
            # TODO: a stand-in zero tensor, so forward can always add it. It should not exist.
            self.bias = torch.zeros(out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight.T * self.scale + self.bias


if __name__ == "__main__":
    layer = ScaledLinear(16, 8, bias=False)
    print("bias:", layer.bias)
    print("parameters:", [name for name, _ in layer.named_parameters()])
