"""Exponential moving average (EMA) of model weights, in torch's naming convention:
a trailing underscore means "in place, returns the same tensor"; no underscore means
"returns a new tensor, inputs untouched"."""

import torch


def ema_(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    """In place: avg <- decay * avg + (1 - decay) * x. Returns avg itself; x is unchanged."""
    # TODO: this builds a new tensor and rebinds the local name: the caller's avg never moves.
    avg = decay * avg + (1 - decay) * x
    return avg


def ema(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    """Out of place: returns decay * avg + (1 - decay) * x; avg and x are unchanged."""
    # TODO: mul_ and add_ write into avg, so a mere preview changes the running average.
    return avg.mul_(decay).add_(x, alpha=1 - decay)


if __name__ == "__main__":
    weights, average = torch.ones(3), torch.zeros(3)
    ema_(average, weights, decay=0.9)
    print("after ema_ (expect 0.1):", average)
    preview = ema(average, weights, decay=0.9)
    print("after ema (expect the same as before):", average)
