"""WRONG: trainable, but always starts at 1.0 whatever init says.
Caught by: Scale(init)(x) returns x * init."""

import torch
from torch import nn


class Scale(nn.Module):
    def __init__(self, init: float = 1.0) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.alpha
