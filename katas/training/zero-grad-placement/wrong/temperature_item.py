"""WRONG: clears the gradients correctly, but divides by temperature.item(), a Python float:
the loss no longer depends on the Parameter, so the temperature gets no gradient and never
moves.
Caught by: a single batch makes one SGD step with that batch's gradient."""

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
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x) / temperature.item(), y)
        loss.backward()
        optimizer.step()
