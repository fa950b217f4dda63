"""WRONG: clears after each step(). Fine when .grad is clean on entry, but whatever .grad held
when fit was called (a validation backward, a probe) is added into the first step.
Caught by: gradients left in .grad before the call do not reach the first step."""

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
        optimizer.step()
        optimizer.zero_grad()
