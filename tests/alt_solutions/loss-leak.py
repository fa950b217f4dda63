"""One training epoch; the batch losses are kept detached and turned into a float once."""

import torch
import torch.nn.functional as F
from torch import nn


def train_epoch(
    model: nn.Module, batches: list[tuple[torch.Tensor, torch.Tensor]], lr: float = 0.1
) -> float:
    """One SGD step per batch on the MSE loss; returns the mean batch loss as a float."""
    losses: list[torch.Tensor] = []
    for x, y in batches:
        for p in model.parameters():
            p.grad = None
        loss = F.mse_loss(model(x), y)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p.add_(p.grad, alpha=-lr)
        # detached: the value stays on the device, without the graph; one sync at the end
        losses.append(loss.detach())
    return torch.stack(losses).mean().item()
