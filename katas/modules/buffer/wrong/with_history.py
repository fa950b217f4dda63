"""WRONG: buffers, but updated outside torch.no_grad() from an x that requires grad: the
statistics join the autograd graph, carry every batch's graph along, and the second
backward fails.
Caught by: the statistics carry no autograd history, so every training step's backward works."""

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
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * x.mean(0)
            self.running_var = (1 - m) * self.running_var + m * x.var(0, unbiased=False)
        return (x - self.running_mean) / torch.sqrt(self.running_var + self.eps)
