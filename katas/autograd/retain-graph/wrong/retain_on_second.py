"""WRONG: retain_graph=True on the second backward instead of the first. The first call
has already freed the graph, so the second still raises.
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
    loss_a.backward()
    loss_b.backward(retain_graph=True)
    return loss_a.item(), loss_b.item()
