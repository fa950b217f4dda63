"""WRONG: a buffer moves and saves with the model but is not trained.
Caught by: alpha is one of Scale's parameters."""

import torch
from torch import nn


class Scale(nn.Module):
    def __init__(self, init: float = 1.0) -> None:
        super().__init__()
        self.register_buffer("alpha", torch.tensor(float(init)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.alpha
