"""WRONG: converts Adam's two moments by name: right for Adam, but SGD's momentum_buffer
(and any other optimizer's state) keeps its old dtype.
Caught by: the optimizer's moments are converted too, and keep their values."""

import torch
from torch import nn


def convert(
    model: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device, dtype: torch.dtype
) -> None:
    model.to(device=device, dtype=dtype)
    for state in optimizer.state.values():
        for key in ("exp_avg", "exp_avg_sq"):
            if key in state:
                state[key] = state[key].to(device=device, dtype=dtype)
