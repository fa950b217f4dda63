"""WRONG: v.detach() cuts the autograd link but shares the memory, so the snapshot still
follows training.
Caught by: afterwards the model holds the parameters of its best epoch."""

from collections.abc import Callable

import torch
from torch import nn


def fit(
    model: nn.Module,
    train_epoch: Callable[[nn.Module], None],
    validate: Callable[[nn.Module], float],
    epochs: int,
) -> float:
    best_loss = float("inf")
    best_state: dict[str, torch.Tensor] = {}
    for _ in range(epochs):
        train_epoch(model)
        loss = validate(model)
        if loss < best_loss:
            best_loss = loss
            best_state = {k: v.detach() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    return best_loss
