"""WRONG: returns the loss tensors themselves for logging: each keeps its whole graph
(the trunk's activations included) alive for as long as the log holds it.
Caught by: returns loss_a and loss_b as Python floats."""

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
    loss_b.backward()
    return loss_a, loss_b
