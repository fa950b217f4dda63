"""WRONG: clears the gradients once, before the loop: backward() keeps adding into .grad, so
step k applies the sum of the first k batches' gradients.
Caught by: every step uses its own batch's gradient only, the temperature's included."""

import torch
import torch.nn.functional as F
from torch import nn


def fit(
    model: nn.Module,
    temperature: nn.Parameter,
    optimizer: torch.optim.Optimizer,
    batches: list[tuple[torch.Tensor, torch.Tensor]],
) -> None:
    optimizer.zero_grad()
    for x, y in batches:
        loss = F.cross_entropy(model(x) / temperature, y)
        loss.backward()
        optimizer.step()
