"""Batch normalisation for (N, C) inputs, by hand, so that padded rows can be masked later."""

import torch
from torch import nn


class MyBatchNorm1d(nn.Module):
    """Must behave like ``nn.BatchNorm1d(num_features, eps=eps, momentum=momentum)``."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            mean = x.mean(dim=0)
            var = x.var(dim=0, unbiased=False)
            # TODO: ported from Keras. After training, these statistics are far from
            # nn.BatchNorm1d's, and num_batches_tracked never counts.
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mean
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


if __name__ == "__main__":
    torch.manual_seed(0)
    mine, ref = MyBatchNorm1d(3), nn.BatchNorm1d(3)
    for _ in range(5):
        x = torch.randn(8, 3) * 2 + 1
        mine(x), ref(x)
    print("mine:", mine.running_mean, mine.running_var, mine.num_batches_tracked, sep="\n  ")
    print("torch:", ref.running_mean, ref.running_var, ref.num_batches_tracked, sep="\n  ")
