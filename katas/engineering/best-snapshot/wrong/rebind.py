"""WRONG: keeps a deep copy of the best model and rebinds the local name to it. The caller's
model object is never touched, so it ends with the last epoch's weights.
Caught by: afterwards the model holds the parameters of its best epoch."""

import copy
from collections.abc import Callable

from torch import nn


def fit(
    model: nn.Module,
    train_epoch: Callable[[nn.Module], None],
    validate: Callable[[nn.Module], float],
    epochs: int,
) -> float:
    best_loss = float("inf")
    best_model = model
    for _ in range(epochs):
        train_epoch(model)
        loss = validate(model)
        if loss < best_loss:
            best_loss = loss
            best_model = copy.deepcopy(model)
    model = best_model
    return best_loss
