"""Observation normaliser for an RL agent: running mean and variance, updated in train mode."""

import torch
from torch import nn


class RunningNorm(nn.Module):
    """Normalises x of shape (N, num_features) with running statistics of the batches seen."""

    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.momentum = momentum
        self.eps = eps
        # Buffers: saved in state_dict and moved by .to(), but never handed to an optimizer.
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            with torch.no_grad():  # statistics carry no autograd history
                self.running_mean.lerp_(x.mean(0), self.momentum)
                self.running_var.lerp_(x.var(0, unbiased=False), self.momentum)
        return (x - self.running_mean) / torch.sqrt(self.running_var + self.eps)


if __name__ == "__main__":
    norm = RunningNorm(3)
    print("parameters:", [name for name, _ in norm.named_parameters()])
    print("buffers:", [name for name, _ in norm.named_buffers()])
