"""WRONG: a registered parameter, but .item() turns it into a Python float, so the output
is not connected to alpha and alpha.grad stays None.
Caught by: alpha requires grad and backward fills alpha.grad."""

import torch
from torch import nn


class Scale(nn.Module):
    def __init__(self, init: float = 1.0) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor(float(init)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.alpha.item()
