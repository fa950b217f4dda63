"""WRONG: loads the whole checkpoint dict into the model with strict=False: none of its
keys (model, optimizer, rng) is a parameter name, so nothing is loaded and nothing complains.
Caught by: load_checkpoint puts the model's weights back, bitwise."""

from typing import Any

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    return {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "rng": torch.get_rng_state(),
    }


def load_checkpoint(
    checkpoint: dict[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer
) -> None:
    model.load_state_dict(checkpoint, strict=False)
    optimizer.load_state_dict(checkpoint["optimizer"])
    torch.set_rng_state(checkpoint["rng"])
