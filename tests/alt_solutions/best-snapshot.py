"""Second solution for best-snapshot: the snapshot is serialised into memory with torch.save,
and restored by copying each value into the model's own tensors under torch.no_grad()."""

import io
from collections.abc import Callable

import torch
from torch import nn


def fit(
    model: nn.Module,
    train_epoch: Callable[[nn.Module], None],
    validate: Callable[[nn.Module], float],
    epochs: int,
) -> float:
    losses: list[float] = []
    best = io.BytesIO()
    for _ in range(epochs):
        train_epoch(model)
        losses.append(float(validate(model)))
        if losses[-1] == min(losses) and losses.count(losses[-1]) == 1:
            best = io.BytesIO()
            torch.save(model.state_dict(), best)
    best.seek(0)
    saved = torch.load(best)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            tensor.copy_(saved[name])
    return min(losses)
