"""WRONG: saves the seed instead of the generator's state and re-seeds on load: dropout then
replays the masks of the first steps instead of drawing the next ones.
Caught by: after resuming, dropout draws the masks the uninterrupted run draws next."""

from typing import Any

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    return {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "seed": torch.initial_seed(),
    }


def load_checkpoint(
    checkpoint: dict[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer
) -> None:
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    torch.manual_seed(checkpoint["seed"])
