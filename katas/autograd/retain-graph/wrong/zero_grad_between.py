"""WRONG: clears the gradients between the two backward calls, so only loss_b's remain.
Caught by: every parameter gets the gradient of loss_a + loss_b."""

import torch
import torch.nn.functional as F
from torch import nn


def backward_both(
    model: nn.Module, x: torch.Tensor, y_a: torch.Tensor, y_b: torch.Tensor
) -> tuple[float, float]:
    h = model.trunk(x)
    loss_a = F.mse_loss(model.head_a(h), y_a)
    loss_b = F.cross_entropy(model.head_b(h), y_b)
    loss_a.backward(retain_graph=True)
    model.zero_grad()
    loss_b.backward()
    return loss_a.item(), loss_b.item()
