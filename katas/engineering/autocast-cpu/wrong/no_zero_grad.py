"""WRONG: compute_loss is right and the first step too, but train_step never clears .grad:
backward adds to the gradients of the previous call, so from the second step on, each update
is lr times the sum of every gradient so far.
Caught by: a second train_step steps by the new gradient only."""

import torch
import torch.nn.functional as F
from torch import nn


def compute_loss(model: nn.Module, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):
        logits = model(x)
    return F.cross_entropy(logits.float(), labels)


def train_step(model: nn.Module, x: torch.Tensor, labels: torch.Tensor, lr: float) -> float:
    loss = compute_loss(model, x, labels)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss.item()
