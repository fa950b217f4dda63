"""WRONG: restores with load_state_dict(..., assign=True), which swaps in new Parameter
objects: an optimizer built before fit keeps updating the old ones.
Caught by: the model keeps its own parameter and buffer objects."""

import copy
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
            best_state = copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state, assign=True)
    return best_loss
