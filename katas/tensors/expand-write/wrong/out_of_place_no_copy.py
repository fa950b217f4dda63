"""WRONG: out-of-place updates, but no copy up front. Right values, yet with T = 0 the loop
never runs and the expanded view of start is returned: the caller's next in-place update
raises (several walkers) or moves start (one walker).
Caught by: each walker's result has its own memory: writing into one leaves the rest alone."""

import torch


def random_walk(start: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    positions = start.expand(steps.shape[1], -1)
    for step in steps:
        positions = positions + step
    return positions
