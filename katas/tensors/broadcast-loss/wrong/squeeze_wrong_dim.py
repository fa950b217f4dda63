"""WRONG: squeeze(0) instead of squeeze(1) (or -1): for N >= 2 the batch axis is not of size
1, so nothing is removed and the (N, N) broadcast stays.
Caught by: mse(pred, target) is the mean of (pred[i, 0] - target[i])² over the batch."""

import torch


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((pred.squeeze(0) - target) ** 2).mean()
