"""WRONG: scales correctly but never clears .grad, so the previous step's gradients leak in.
Caught by: gradients left over from the previous step do not leak in."""

import torch
import torch.nn.functional as F
from torch import nn


def accumulate_grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor, micro_batch: int) -> float:
    total = 0.0
    for xb, yb in zip(x.split(micro_batch), y.split(micro_batch)):
        loss = F.mse_loss(model(xb), yb) * (len(xb) / len(x))
        loss.backward()
        total += loss.item()
    return total
