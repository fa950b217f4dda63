"""Batch normalisation for (N, C) inputs, by hand, so that padded rows can be masked later."""

import torch
from torch import nn


class MyBatchNorm1d(nn.Module):
    """Behaves like ``nn.BatchNorm1d(num_features, eps=eps, momentum=momentum)``."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        # Buffers: saved in state_dict and moved by .to(), but never trained.
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            # The output is normalised with the batch statistics (biased variance), and
            # gradients flow through them.
            mean = x.mean(dim=0)
            var = x.var(dim=0, unbiased=False)
            n = x.shape[0]
            # The running statistics are bookkeeping, not part of the graph: update them in
            # place, without autograd. momentum is the weight of the new batch.
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(mean, alpha=self.momentum)
                unbiased = var * (n / (n - 1))
                self.running_var.mul_(1 - self.momentum).add_(unbiased, alpha=self.momentum)
                self.num_batches_tracked += 1
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
