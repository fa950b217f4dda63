"""WRONG: saves the weights and the random state, but not the optimizer's: a fresh Adam
restarts at step 0 with zero moments, and its next update is sized like a first step.
Caught by: load_checkpoint puts Adam's state back: step counts and both moment estimates."""

from typing import Any

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    return {"model": model.state_dict(), "rng": torch.get_rng_state()}


def load_checkpoint(
    checkpoint: dict[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer
) -> None:
    model.load_state_dict(checkpoint["model"])
    torch.set_rng_state(checkpoint["rng"])
