"""WRONG: calls scheduler.step() before optimizer.step(): the first step already uses the
second step's lr, and the whole schedule runs one step ahead (torch warns about it).
Caught by: the first step uses base_lr / warmup_steps in every param group."""

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
    """One optimizer step per batch of every epoch; the lr warms up, then decays to zero."""
    total = sum(len(batches) for batches in epochs)

    def factor(step: int) -> float:
        # step counts the optimizer steps taken so far: the first step is step 0
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / (total - 1 - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = LambdaLR(optimizer, factor)
    for batches in epochs:
        for x, y in batches:
            optimizer.zero_grad()
            F.mse_loss(model(x), y).backward()
            scheduler.step()
            optimizer.step()

