"""WRONG: ema_ assigns avg.data. Same object, right values, but avg now points at new memory:
a view into a flat weight buffer no longer updates the buffer, and the version counter that
autograd checks is not bumped.
Caught by: ema_ writes into avg's memory: avg._version goes up and a view updates its base."""

import torch


def ema_(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    avg.data = decay * avg + (1 - decay) * x
    return avg


def ema(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    return decay * avg + (1 - decay) * x
