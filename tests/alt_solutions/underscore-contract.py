"""Second solution for underscore-contract: lerp_ in place; the pure version runs it on a clone."""

import torch


def ema_(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    # avg + (1 - decay) * (x - avg), written into avg; lerp_ returns avg like every in-place op
    return avg.lerp_(x, 1 - decay)


def ema(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    # the in-place version applied to a private copy leaves the caller's avg alone
    return ema_(avg.clone(), x, decay)
