"""WRONG: the schedule is right, but the loop no longer clears .grad, so every step applies
the sum of all gradients so far.
Caught by: the weights equal plain SGD steps at the scheduled lrs."""

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import LambdaLR


def train(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    epochs: list[list[tuple[torch.Tensor, torch.Tensor]]],
    warmup_steps: int,
) -> None:
    total = sum(len(batches) for batches in epochs)

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / (total - 1 - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = LambdaLR(optimizer, factor)
    for batches in epochs:
        for x, y in batches:
            F.mse_loss(model(x), y).backward()
            optimizer.step()
            scheduler.step()
