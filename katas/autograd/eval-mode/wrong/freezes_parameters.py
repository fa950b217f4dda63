"""WRONG: besides no_grad() and eval(), switches requires_grad off on every parameter "to be
sure", and back on with model.requires_grad_(True) afterwards: layers that the caller had
frozen (fine-tuning) come back trainable.
Caught by: every parameter's requires_grad is as evaluate found it."""

from collections.abc import Iterable

import torch
from torch import nn


def evaluate(model: nn.Module, loader: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> float:
    was_training = model.training
    model.eval()
    model.requires_grad_(False)
    correct, total = 0, 0
    with torch.no_grad():
        for x, y in loader:
            correct += int((model(x).argmax(dim=1) == y).sum())
            total += len(y)
    model.requires_grad_(True)
    model.train(was_training)
    return correct / total
