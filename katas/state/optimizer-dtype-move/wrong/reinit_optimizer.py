"""WRONG: re-runs the optimizer's __init__ over the converted parameters, as building a new
optimizer would: the state and the moments are gone.
Caught by: the optimizer's moments are converted too, and keep their values."""

import torch
from torch import nn


def convert(
    model: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device, dtype: torch.dtype
) -> None:
    model.to(device=device, dtype=dtype)
    optimizer.__init__(model.parameters(), **optimizer.defaults)
