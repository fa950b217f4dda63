"""Exponential moving average (EMA) of model weights, in torch's naming convention:
a trailing underscore means "in place, returns the same tensor"; no underscore means
"returns a new tensor, inputs untouched"."""

import torch


def ema_(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    """In place: avg <- decay * avg + (1 - decay) * x. Returns avg itself; x is unchanged."""
    # mul_ and add_ write into avg's memory and return avg, so the chain returns it too.
    return avg.mul_(decay).add_(x, alpha=1 - decay)


def ema(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    """Out of place: returns decay * avg + (1 - decay) * x; avg and x are unchanged."""
    # Operators without an underscore allocate their result and leave their inputs alone.
    return decay * avg + (1 - decay) * x


if __name__ == "__main__":
    weights, average = torch.ones(3), torch.zeros(3)
    ema_(average, weights, decay=0.9)
    print("after ema_ (expect 0.1):", average)
    preview = ema(average, weights, decay=0.9)
    print("after ema (expect the same as before):", average)
