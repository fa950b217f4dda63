"""WRONG: zeroes once and accumulates, but never scales the micro-batch losses: the sum of
k micro-batch means is k times the big batch's gradient (and loss).
Caught by: the gradients equal one backward pass on the whole batch."""

import torch
import torch.nn.functional as F
from torch import nn


def accumulate_grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor, micro_batch: int) -> float:
    model.zero_grad()
    total = 0.0
    for xb, yb in zip(x.split(micro_batch), y.split(micro_batch)):
        loss = F.mse_loss(model(xb), yb)
        loss.backward()
        total += loss.item()
    return total
