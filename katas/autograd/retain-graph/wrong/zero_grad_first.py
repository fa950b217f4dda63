"""WRONG: clears the gradients at the start "to be safe". With fresh gradients nothing shows,
but a caller that accumulates over several batches loses everything accumulated so far.
Caught by: like loss.backward(), backward_both adds to what .grad already holds."""

import torch
import torch.nn.functional as F
from torch import nn


def backward_both(
    model: nn.Module, x: torch.Tensor, y_a: torch.Tensor, y_b: torch.Tensor
) -> tuple[float, float]:
    model.zero_grad()
    h = model.trunk(x)
    loss_a = F.mse_loss(model.head_a(h), y_a)
    loss_b = F.cross_entropy(model.head_b(h), y_b)
    loss_a.backward(retain_graph=True)
    loss_b.backward()
    return loss_a.item(), loss_b.item()
