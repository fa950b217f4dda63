"""Standardising features with statistics computed by NumPy over the training set."""

import numpy as np
import torch
from torch import nn


class Standardize(nn.Module):
    """(x - mean) / std, feature by feature, with the training set's statistics."""

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("mean", torch.from_numpy(mean))
        self.register_buffer("std", torch.from_numpy(std))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: a float32 batch comes out float64, and the next Linear refuses it.
        return (x - self.mean) / self.std


if __name__ == "__main__":
    train = np.random.default_rng(0).normal(3.0, 2.0, size=(100, 4))  # NumPy: float64
    model = nn.Sequential(Standardize(train.mean(axis=0), train.std(axis=0)), nn.Linear(4, 2))
    x = torch.randn(5, 4)
    print("standardized:", model[0](x).dtype)
    print("model output:", model(x).dtype)
