"""WRONG: allocates the walkers' positions with torch.zeros(B, N, dtype=start.dtype), then adds
start and the steps into it: its own memory and the right values, but torch.zeros allocates
on the CPU whatever device start is on, so for a start on a GPU the result is not.
Caught by: the result is on start's device, with start's dtype."""

import torch


def random_walk(start: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    positions = torch.zeros(steps.shape[1], start.shape[0], dtype=start.dtype)
    positions += start
    for step in steps:
        positions += step
    return positions
