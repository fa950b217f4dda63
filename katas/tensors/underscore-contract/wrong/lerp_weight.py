"""WRONG: lerp_ with the weight the wrong way round: avg.lerp_(x, w) moves avg a fraction w
towards x, so the weight must be 1 - decay, not decay.
Caught by: ema_(avg, x, decay) sets avg to decay * avg + (1 - decay) * x and leaves x alone."""

import torch


def ema_(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    return avg.lerp_(x, decay)


def ema(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    return decay * avg + (1 - decay) * x
