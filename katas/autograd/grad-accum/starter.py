"""Gradient accumulation: the gradient of a big batch, built from small micro-batches."""

import torch
import torch.nn.functional as F
from torch import nn


def accumulate_grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor, micro_batch: int) -> float:
    """Leave in .grad the gradient of F.mse_loss(model(x), y); return that loss as a float."""
    total = 0.0
    for xb, yb in zip(x.split(micro_batch), y.split(micro_batch)):
        # TODO: this is not the big batch's gradient (nor its loss). Fix the accumulation.
        model.zero_grad()
        loss = F.mse_loss(model(xb), yb)
        loss.backward()
        total += loss.item()
    return total


if __name__ == "__main__":
    model = nn.Linear(3, 2)
    x, y = torch.randn(10, 3), torch.randn(10, 2)
    print("accumulated loss:", accumulate_grads(model, x, y, micro_batch=4))
    print("accumulated grad:", model.weight.grad)
    model.zero_grad()
    F.mse_loss(model(x), y).backward()
    print("big-batch grad:  ", model.weight.grad)
