"""WRONG: the gradients are right, but it returns the last micro-batch's (scaled) loss
instead of the whole batch's.
Caught by: returns the whole batch's loss as a float."""

import torch
import torch.nn.functional as F
from torch import nn


def accumulate_grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor, micro_batch: int) -> float:
    model.zero_grad()
    for xb, yb in zip(x.split(micro_batch), y.split(micro_batch)):
        loss = F.mse_loss(model(xb), yb) * (len(xb) / len(x))
        loss.backward()
    return loss.item()
