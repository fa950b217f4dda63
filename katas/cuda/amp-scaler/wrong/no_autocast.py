"""WRONG: loss scaling done right, but the forward pass runs in float32 (no autocast), so
there is no mixed precision at all: no speed-up, and the scaler guards nothing.
Caught by: the forward pass runs in float16 under autocast."""

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
    loss = loss_fn(model(batch), target)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()
