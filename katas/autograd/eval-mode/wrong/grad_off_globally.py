"""WRONG: switches autograd off with torch.set_grad_enabled(False) and never back on: the
training step after evaluation records nothing, and its backward() fails.
Caught by: gradient tracking is on again after evaluate returns."""

from collections.abc import Iterable

import torch
from torch import nn


def evaluate(model: nn.Module, loader: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> float:
    was_training = model.training
    model.eval()
    torch.set_grad_enabled(False)
    correct, total = 0, 0
    for x, y in loader:
        correct += int((model(x).argmax(dim=1) == y).sum())
        total += len(y)
    model.train(was_training)
    return correct / total
