"""WRONG: calls optimizer.zero_grad() between backward() and step(): step() finds every .grad
None and skips every parameter, so nothing is ever updated.
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
        loss = F.cross_entropy(model(x) / temperature, y)
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
