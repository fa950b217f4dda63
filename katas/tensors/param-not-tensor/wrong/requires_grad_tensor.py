"""WRONG: requires_grad=True makes a tensor take gradients, but an attribute holding
a plain tensor is not registered: parameters() never yields it, so the optimizer never updates it.
Caught by: alpha is one of Scale's parameters."""

import torch
from torch import nn


class Scale(nn.Module):
    def __init__(self, init: float = 1.0) -> None:
        super().__init__()
        self.alpha = torch.tensor(float(init), requires_grad=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.alpha
