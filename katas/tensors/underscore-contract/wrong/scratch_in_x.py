"""WRONG: ema_ saves an allocation by using x as scratch space: avg ends up right, but x,
the live model's weight, is overwritten.
Caught by: ema_(avg, x, decay) sets avg to decay * avg + (1 - decay) * x and leaves x alone."""

import torch


def ema_(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    return avg.add_(x.sub_(avg).mul_(1 - decay))


def ema(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    return decay * avg + (1 - decay) * x
