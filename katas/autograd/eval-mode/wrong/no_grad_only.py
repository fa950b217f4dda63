"""WRONG: torch.no_grad() alone. No graph is built, but the model stays in train mode:
dropout is active and BatchNorm normalises with batch statistics and updates its running
ones with validation data.
Caught by: every module is in eval mode during the forward passes; BatchNorm running
statistics stay bitwise unchanged."""

from collections.abc import Iterable

import torch
from torch import nn


def evaluate(model: nn.Module, loader: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> float:
    correct, total = 0, 0
    with torch.no_grad():
        for x, y in loader:
            correct += int((model(x).argmax(dim=1) == y).sum())
            total += len(y)
    return correct / total
