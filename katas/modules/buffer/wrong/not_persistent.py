"""WRONG: buffers registered with persistent=False: moved by .to(), never trained, but left
out of state_dict(), so a restored agent starts from zero mean and unit variance.
Caught by: state_dict() holds exactly running_mean and running_var, and loads them back."""

import torch
from torch import nn


class RunningNorm(nn.Module):
    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.momentum = momentum
        self.eps = eps
        self.register_buffer("running_mean", torch.zeros(num_features), persistent=False)
        self.register_buffer("running_var", torch.ones(num_features), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            with torch.no_grad():
                self.running_mean.lerp_(x.mean(0), self.momentum)
                self.running_var.lerp_(x.var(0, unbiased=False), self.momentum)
        return (x - self.running_mean) / torch.sqrt(self.running_var + self.eps)
