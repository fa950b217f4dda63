"""WRONG: the pure ema uses mul_ and add_, so asking for a preview moves the running
average (and returns avg itself).
Caught by: ema leaves avg and x unchanged and returns a new tensor."""

import torch


def ema_(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    return avg.mul_(decay).add_(x, alpha=1 - decay)


def ema(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    return avg.mul_(decay).add_(x, alpha=1 - decay)
