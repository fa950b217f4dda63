"""WRONG: unsqueeze_ (trailing underscore) reshapes the caller's target in place: the values
are right, but the dataset's target tensor is (N, 1) from now on.
Caught by: pred and target keep their shapes and values."""

import torch


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((pred - target.unsqueeze_(1)) ** 2).mean()
