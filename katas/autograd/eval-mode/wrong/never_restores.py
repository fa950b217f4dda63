"""WRONG: eval() and no_grad(), but the model is left in eval mode: the rest of training
runs without dropout and with frozen BatchNorm statistics.
Caught by: the model's train/eval mode is as evaluate found it."""

from collections.abc import Iterable

import torch
from torch import nn


def evaluate(model: nn.Module, loader: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> float:
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for x, y in loader:
            correct += int((model(x).argmax(dim=1) == y).sum())
            total += len(y)
    return correct / total
