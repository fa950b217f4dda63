"""WRONG: adds up the scaled micro-batch losses and calls backward() once, at the end. The
gradients and the loss are right, and no forward pass sees more than micro_batch samples,
but every micro-batch's graph, activations included, stays alive until that one backward:
the memory is the big batch's again.
Caught by: each micro-batch's backward runs before the next forward pass."""

import torch
import torch.nn.functional as F
from torch import nn


def accumulate_grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor, micro_batch: int) -> float:
    model.zero_grad()
    total = torch.zeros((), dtype=x.dtype, device=x.device)
    for xb, yb in zip(x.split(micro_batch), y.split(micro_batch), strict=True):
        total = total + F.mse_loss(model(xb), yb) * (len(xb) / len(x))
    total.backward()
    return total.item()
