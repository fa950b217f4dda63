"""WRONG: pickles the model and optimizer objects themselves: torch.load refuses them
with its default weights_only=True (since torch 2.6), so the checkpoint cannot be read back.
Caught by: load_checkpoint puts the model's weights back, bitwise (every check fails the same
way: torch.load refuses the checkpoint)."""

from typing import Any

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    return {"model": model, "optimizer": optimizer, "rng": torch.get_rng_state()}


def load_checkpoint(
    checkpoint: dict[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer
) -> None:
    model.load_state_dict(checkpoint["model"].state_dict())
    optimizer.load_state_dict(checkpoint["optimizer"].state_dict())
    torch.set_rng_state(checkpoint["rng"])
