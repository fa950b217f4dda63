"""WRONG: saves the weights and the optimizer, not the random generator: after the restart
dropout draws other masks than the uninterrupted run would.
Caught by: after resuming, dropout draws the masks the uninterrupted run draws next."""

from typing import Any

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict()}


def load_checkpoint(
    checkpoint: dict[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer
) -> None:
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
