"""WRONG: ema_ computes the right value but rebinds the local name avg: the caller's tensor
never changes, so the EMA model stays at its initial weights.
Caught by: ema_(avg, x, decay) sets avg to decay * avg + (1 - decay) * x and leaves x alone
(and: ema_ returns avg itself; ema_ writes into avg's memory)."""

import torch


def ema_(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    avg = decay * avg + (1 - decay) * x
    return avg


def ema(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    return decay * avg + (1 - decay) * x
