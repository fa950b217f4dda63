"""WRONG: nn.Parameter(torch.tensor(init)) keeps init's Python type: Scale(2) makes an int64
tensor, and an integer tensor cannot require grad, so Scale(2) raises.
Caught by: Scale(2), with an int init, starts a floating-point alpha at 2.0."""

import torch
from torch import nn


class Scale(nn.Module):
    def __init__(self, init: float = 1.0) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor(init))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.alpha
