"""WRONG: keeps the statistics as plain tensor attributes, converted in forward: the dtypes
are right, but the statistics are missing from state_dict and stay on the CPU when the model
moves to a GPU.
Caught by: mean and std are the module's buffers, saved in its state_dict."""

import numpy as np
import torch
from torch import nn


class Standardize(nn.Module):
    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        self.mean = torch.tensor(mean, dtype=torch.float32)
        self.std = torch.tensor(std, dtype=torch.float32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)
