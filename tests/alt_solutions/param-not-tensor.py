"""Second solution for param-not-tensor: register_parameter with a shape-(1,) Parameter."""

import torch
from torch import nn


class Scale(nn.Module):
    def __init__(self, init: float = 1.0) -> None:
        super().__init__()
        # Explicit registration; a one-element vector instead of a 0-d tensor.
        self.register_parameter("alpha", nn.Parameter(torch.full((1,), float(init))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.mul(self.alpha, x)
