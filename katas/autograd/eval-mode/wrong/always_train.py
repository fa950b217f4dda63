"""WRONG: always switches back to train mode, even when the caller was already evaluating
(say, evaluate() called from a test script after model.eval()).
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
    model.train()
    return correct / total
