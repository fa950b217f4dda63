"""WRONG: converts the model through its state dict with assign=True, which puts new
Parameter objects into the model; the optimizer's state is converted, but the optimizer
still holds the old parameters, steps them, and the model never changes again.
Caught by: the parameters are converted in place: new dtype and device, same values, same
objects (also: the next step runs, and follows from the kept state)."""

import torch
from torch import nn


def convert(
    model: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device, dtype: torch.dtype
) -> None:
    state = {k: v.to(device=device, dtype=dtype) for k, v in model.state_dict().items()}
    model.load_state_dict(state, assign=True)
    optimizer.load_state_dict(optimizer.state_dict())
    for state_of_param in optimizer.state.values():
        for key, value in state_of_param.items():
            if key != "step":
                state_of_param[key] = value.to(device=device, dtype=dtype)
