"""WRONG: model.eval() alone (and restored). The layers behave, but autograd still records
every forward pass and keeps its activations alive.
Caught by: the forward passes run with gradient tracking off."""

from collections.abc import Iterable

import torch
from torch import nn


def evaluate(model: nn.Module, loader: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> float:
    was_training = model.training
    model.eval()
    correct, total = 0, 0
    for x, y in loader:
        correct += int((model(x).argmax(dim=1) == y).sum())
        total += len(y)
    model.train(was_training)
    return correct / total
