"""WRONG: clears the optimizer's state so that it is created anew in the right dtype: the
step runs, but the moments start from zero again and the next update is sized like a
first step.
Caught by: the optimizer's moments are converted too, and keep their values (also: the next
step runs, and follows from the kept state)."""

import torch
from torch import nn


def convert(
    model: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device, dtype: torch.dtype
) -> None:
    model.to(device=device, dtype=dtype)
    optimizer.state.clear()
