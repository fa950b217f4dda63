"""Second solution for retain-graph: one backward pass through the summed loss."""

import torch
import torch.nn.functional as F
from torch import nn


def backward_both(
    model: nn.Module, x: torch.Tensor, y_a: torch.Tensor, y_b: torch.Tensor
) -> tuple[float, float]:
    h = model.trunk(x)
    losses = [F.mse_loss(model.head_a(h), y_a), F.cross_entropy(model.head_b(h), y_b)]
    torch.autograd.backward(losses)  # one pass; gradients of both losses add up
    loss_a, loss_b = (loss.item() for loss in losses)
    return loss_a, loss_b
