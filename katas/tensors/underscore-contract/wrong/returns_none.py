"""WRONG: ema_ updates avg in place but returns nothing ("it is in place, why return?").
torch's in-place methods return the tensor, and callers write avg = ema_(avg, ...) or chain.
Caught by: ema_ returns avg itself, as torch's in-place methods do."""

import torch


def ema_(avg: torch.Tensor, x: torch.Tensor, decay: float) -> None:
    avg.mul_(decay).add_(x, alpha=1 - decay)


def ema(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    return decay * avg + (1 - decay) * x
