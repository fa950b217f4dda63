"""WRONG: frozen Parameters (requires_grad_(False)) instead of buffers: saved and moved, but
still parameters, so requires_grad_(True) on the model unfreezes them and the optimizer trains
the statistics.
Caught by: running_mean and running_var are buffers, and RunningNorm has no parameters (also:
requires_grad_(True) and an optimizer step on parameters() leave the statistics alone)."""

import torch
from torch import nn


class RunningNorm(nn.Module):
    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.momentum = momentum
        self.eps = eps
        self.running_mean = nn.Parameter(torch.zeros(num_features)).requires_grad_(False)
        self.running_var = nn.Parameter(torch.ones(num_features)).requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            with torch.no_grad():
                self.running_mean.lerp_(x.mean(0), self.momentum)
                self.running_var.lerp_(x.var(0, unbiased=False), self.momentum)
        return (x - self.running_mean) / torch.sqrt(self.running_var + self.eps)
