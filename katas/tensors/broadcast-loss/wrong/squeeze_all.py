"""WRONG: a bare squeeze() also removes the batch axis when N = 1: pred becomes 0-d while
target stays (1,), and F.mse_loss warns about the size mismatch. Right values, and a
warning on every batch of one, teaching everyone to ignore that warning.
Caught by: mse raises no warnings, for any batch size."""

import torch
import torch.nn.functional as F


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(pred.squeeze(), target)
