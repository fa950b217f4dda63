"""WRONG: clears with model.zero_grad(), which walks model.parameters() only. The temperature
lives outside the model, so its .grad keeps accumulating (and keeps what it held on entry).
Caught by: every step uses its own batch's gradient only, the temperature's included (also:
gradients left in .grad before the call do not reach the first step)."""

import torch
import torch.nn.functional as F
from torch import nn


def fit(
    model: nn.Module,
    temperature: nn.Parameter,
    optimizer: torch.optim.Optimizer,
    batches: list[tuple[torch.Tensor, torch.Tensor]],
) -> None:
    for x, y in batches:
        model.zero_grad()
        loss = F.cross_entropy(model(x) / temperature, y)
        loss.backward()
        optimizer.step()
