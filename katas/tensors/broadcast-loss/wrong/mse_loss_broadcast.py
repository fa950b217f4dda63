"""WRONG: F.mse_loss on (N, 1) and (N,) broadcasts exactly like the operators do, to (N, N),
and only prints a UserWarning about the target size.
Caught by: mse(pred, target) is the mean of (pred[i, 0] - target[i])² over the batch (and
the gradient and no-warnings checks)."""

import torch
import torch.nn.functional as F


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(pred, target)
