"""WRONG: adds eps after the square root, (x - mean) / (sqrt(var) + eps): with eps = 1e-5 it is
within float32 rounding of the right answer, but not the normalisation the interface states.
Caught by: in train mode, forward updates the moving averages, then normalises with them (with
eps=0.5; also: norm.double() and .to(device) convert the statistics, at float64 tolerance)."""

import torch
from torch import nn


class RunningNorm(nn.Module):
    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.momentum = momentum
        self.eps = eps
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            with torch.no_grad():
                self.running_mean.lerp_(x.mean(0), self.momentum)
                self.running_var.lerp_(x.var(0, unbiased=False), self.momentum)
        return (x - self.running_mean) / (torch.sqrt(self.running_var) + self.eps)
