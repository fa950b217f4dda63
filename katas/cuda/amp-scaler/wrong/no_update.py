"""WRONG: never calls scaler.update(), so the scale is not halved after an overflow (and the
next unscale_ raises, since the scaler thinks the step is still in progress).
Caught by: a step with an inf gradient is skipped, and the scale is halved (also: tiny
gradients reach the optimizer intact)."""

from collections.abc import Callable

import torch
from torch import nn


def train_step(
    model: nn.Module,
    batch: torch.Tensor,
    target: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    max_norm: float = 1.0,
) -> torch.Tensor:
    """Run one step on (batch, target) and return the unscaled loss, detached."""
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast(device_type=batch.device.type, dtype=torch.float16):
        loss = loss_fn(model(batch), target)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    return loss.detach()
