"""scheduler-per-step, written differently: no scheduler object. Each step's lr is computed
from the step's index and written into every param group before optimizer.step()."""

import math

import torch
import torch.nn.functional as F
from torch import nn


def lr_factor(step: int, warmup_steps: int, total_steps: int) -> float:
    """The factor of the base lr that optimizer step ``step`` (from 0) uses."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / (total_steps - 1 - warmup_steps)
    return 0.5 * (1 + math.cos(math.pi * progress))


def train(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    epochs: list[list[tuple[torch.Tensor, torch.Tensor]]],
    warmup_steps: int,
) -> None:
    """One optimizer step per batch of every epoch; the lr warms up, then decays to zero."""
    batches = [batch for epoch in epochs for batch in epoch]
    bases = [group["lr"] for group in optimizer.param_groups]
    for step, (x, y) in enumerate(batches):
        factor = lr_factor(step, warmup_steps, len(batches))
        for group, base in zip(optimizer.param_groups, bases, strict=True):
            group["lr"] = base * factor
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        optimizer.step()
