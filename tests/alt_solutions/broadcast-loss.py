"""Second solution for broadcast-loss: give the target the prediction's shape, then F.mse_loss."""

import torch
import torch.nn.functional as F


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    # (N,) -> (N, 1): equal shapes, so mse_loss neither broadcasts nor warns
    return F.mse_loss(pred, target.view_as(pred))
