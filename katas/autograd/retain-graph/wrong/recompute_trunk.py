"""WRONG: avoids the error by running the trunk again for the second loss. The gradients
are right, but the most expensive part runs twice (and with dropout, with other masks).
Caught by: the trunk runs once per call."""

import torch
import torch.nn.functional as F
from torch import nn


def backward_both(
    model: nn.Module, x: torch.Tensor, y_a: torch.Tensor, y_b: torch.Tensor
) -> tuple[float, float]:
    loss_a = F.mse_loss(model.head_a(model.trunk(x)), y_a)
    loss_a.backward()
    loss_b = F.cross_entropy(model.head_b(model.trunk(x)), y_b)
    loss_b.backward()
    return loss_a.item(), loss_b.item()
