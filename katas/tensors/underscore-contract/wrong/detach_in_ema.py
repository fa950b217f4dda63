"""WRONG: ema reuses ema_ on avg.detach(), believing detach() makes a copy. It only drops
the autograd history; the memory is shared, so avg changes.
Caught by: ema leaves avg and x unchanged and returns a new tensor."""

import torch


def ema_(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    return avg.mul_(decay).add_(x, alpha=1 - decay)


def ema(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    return ema_(avg.detach(), x, decay)
