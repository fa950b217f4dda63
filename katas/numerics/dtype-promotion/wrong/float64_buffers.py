"""WRONG: copies the arrays with torch.tensor instead of sharing them with torch.from_numpy,
but the copies keep NumPy's float64, and a float32 input is promoted to float64.
Caught by: the output has the input's dtype: float32, float64, float16 or bfloat16."""

import numpy as np
import torch
from torch import nn


class Standardize(nn.Module):
    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean))
        self.register_buffer("std", torch.tensor(std))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std
