"""WRONG: registered, but frozen: it gets no gradient and the optimizer skips it.
Caught by: alpha requires grad and backward fills alpha.grad."""

import torch
from torch import nn


class Scale(nn.Module):
    def __init__(self, init: float = 1.0) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor(float(init)), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.alpha
