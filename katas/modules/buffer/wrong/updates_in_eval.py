"""WRONG: updates the statistics in eval mode too, so evaluation episodes shift the
normalisation the agent was trained with.
Caught by: in eval mode, forward normalises with the statistics and leaves them bitwise unchanged."""

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
        with torch.no_grad():
            self.running_mean.lerp_(x.mean(0), self.momentum)
            self.running_var.lerp_(x.var(0, unbiased=False), self.momentum)
        return (x - self.running_mean) / torch.sqrt(self.running_var + self.eps)
