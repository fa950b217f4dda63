"""WRONG: plain tensor attributes: never trained, but not saved in state_dict() and not moved
by .to() or .double().
Caught by: running_mean and running_var are buffers, and RunningNorm has no parameters (also:
state_dict, .double())."""

import torch
from torch import nn


class RunningNorm(nn.Module):
    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.momentum = momentum
        self.eps = eps
        self.running_mean = torch.zeros(num_features)
        self.running_var = torch.ones(num_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            with torch.no_grad():
                self.running_mean.lerp_(x.mean(0), self.momentum)
                self.running_var.lerp_(x.var(0, unbiased=False), self.momentum)
        return (x - self.running_mean) / torch.sqrt(self.running_var + self.eps)
