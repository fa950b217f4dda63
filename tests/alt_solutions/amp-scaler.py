"""Second solution for amp-scaler: torch.amp.autocast, and clipping written out by hand."""

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
    for param in model.parameters():
        param.grad = None
    with torch.amp.autocast(batch.device.type, dtype=torch.float16):
        output = model(batch)
        loss = loss_fn(output, target)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)  # recorded: scaler.step will not divide a second time
    grads = [p.grad for group in optimizer.param_groups for p in group["params"]]
    present = [g for g in grads if g is not None]
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in present]))
    coefficient = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for grad in present:
        grad.mul_(coefficient)
    scaler.step(optimizer)
    scaler.update()
    return loss.detach().float()
