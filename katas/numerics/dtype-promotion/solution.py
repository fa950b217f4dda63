"""Standardising features with statistics computed by NumPy over the training set."""

import numpy as np
import torch
from torch import nn


class Standardize(nn.Module):
    """(x - mean) / std, feature by feature, with the training set's statistics."""

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        # Buffers, so .to(), .half() and state_dict see them; float32 like the rest of a
        # model, instead of NumPy's float64.
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # A per-feature tensor widens whatever it meets: convert the statistics to the
        # input's dtype here, where it is known (a no-op when it already matches).
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)


if __name__ == "__main__":
    train = np.random.default_rng(0).normal(3.0, 2.0, size=(100, 4))  # NumPy: float64
    model = nn.Sequential(Standardize(train.mean(axis=0), train.std(axis=0)), nn.Linear(4, 2))
    x = torch.randn(5, 4)
    print("standardized:", model[0](x).dtype)
    print("model output:", model(x).dtype)
