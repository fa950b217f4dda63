"""WRONG: converts exp_avg, the tensor named in the error message, and nothing else: the
step runs, but exp_avg_sq stays float32 and rounds every update (SGD's momentum_buffer is
not converted either).
Caught by: the optimizer's moments are converted too, and keep their values."""

import torch
from torch import nn


def convert(
    model: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device, dtype: torch.dtype
) -> None:
    model.to(device=device, dtype=dtype)
    for state in optimizer.state.values():
        if "exp_avg" in state:
            state["exp_avg"] = state["exp_avg"].to(device=device, dtype=dtype)
