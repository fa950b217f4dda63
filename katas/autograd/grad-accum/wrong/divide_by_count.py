"""WRONG: divides each micro-batch loss by the number of micro-batches. Right when they are
all the same size; a smaller last micro-batch then counts as much as a full one.
Caught by: a smaller last micro-batch counts by its size."""

import math

import torch
import torch.nn.functional as F
from torch import nn


def accumulate_grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor, micro_batch: int) -> float:
    model.zero_grad()
    k = math.ceil(len(x) / micro_batch)
    total = 0.0
    for xb, yb in zip(x.split(micro_batch), y.split(micro_batch)):
        loss = F.mse_loss(model(xb), yb) / k
        loss.backward()
        total += loss.item()
    return total
