"""WRONG: builds the scheduler inside the epoch loop, so its count (and the warmup) starts over
in every epoch.
Caught by: every step follows the warmup, then the cosine down to 0 at the last step."""

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

    for batches in epochs:
        scheduler = LambdaLR(optimizer, factor)
        for x, y in batches:
            optimizer.zero_grad()
            F.mse_loss(model(x), y).backward()
            optimizer.step()
            scheduler.step()  # after optimizer.step(), once per step: sets the next step's lr

