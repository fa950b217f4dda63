"""WRONG: backward on the scaled loss, then optimizer.step() without unscaling: the
optimizer steps with gradients 65536 times too large (clipping hides it until max_norm is
large).
Caught by: tiny gradients reach the optimizer intact: no float16 underflow, no loss scale left."""

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
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.detach()
