"""WRONG: returns the scaled loss, so the logged loss is 65536 times too large and jumps
whenever the scale changes.
Caught by: returns the unscaled loss, detached from the graph."""

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
    scaled = scaler.scale(loss)
    scaled.backward()
    scaler.unscale_(optimizer)
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return scaled.detach()
