"""Standardising features with statistics computed by NumPy over the training set."""

import numpy as np
import torch
from torch import nn


class Standardize(nn.Module):
    """(x - mean) / std, feature by feature, with the training set's statistics."""

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        # Copies in NumPy's own dtype: full precision, whatever the module is converted to.
        self.register_buffer("mean", torch.as_tensor(mean).clone())
        self.register_buffer("std", torch.as_tensor(std).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Compute in whichever dtype promotion picks, then hand back the input's dtype.
        return torch.div(x - self.mean, self.std).to(x.dtype)
