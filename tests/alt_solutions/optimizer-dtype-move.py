"""A second solution for optimizer-dtype-move: let optimizer.load_state_dict cast the state.
It casts every per-parameter state tensor to its parameter's dtype and device (leaving
Adam's step alone), so a round trip through state_dict() after the move converts it."""

import torch
from torch import nn


def convert(
    model: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device, dtype: torch.dtype
) -> None:
    model.to(device, dtype)  # in place: the optimizer keeps the same Parameter objects
    optimizer.load_state_dict(optimizer.state_dict())
