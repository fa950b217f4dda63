"""Validation accuracy, computed after every training epoch."""

from collections.abc import Iterable

import torch
from torch import nn


def evaluate(model: nn.Module, loader: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> float:
    """Fraction of samples whose highest logit is the right class."""
    was_training = model.training
    model.eval()  # dropout off; BatchNorm uses (and keeps) its running statistics
    correct, total = 0, 0
    try:
        with torch.no_grad():  # no graph, no activations kept for a backward
            for x, y in loader:
                logits = model(x)
                correct += int((logits.argmax(dim=1) == y).sum())
                total += len(y)
    finally:
        model.train(was_training)  # put back the mode we found
    return correct / total


if __name__ == "__main__":
    model = nn.Sequential(
        nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3)
    )
    batches = [(torch.randn(8, 6), torch.randint(0, 3, (8,))) for _ in range(3)]
    before = model[1].running_mean.clone()
    print("accuracy:", evaluate(model, batches), evaluate(model, batches))
    print("BatchNorm statistics unchanged:", torch.equal(before, model[1].running_mean))
    print("still training:", model.training)
