"""WRONG: after the clone, add() without the underscore: it returns a new tensor that is
thrown away, so positions never move and every walker ends at start.
Caught by: random_walk(start, steps)[b] is start + steps[0, b] + ... + steps[T-1, b]."""

import torch


def random_walk(start: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    positions = start.expand(steps.shape[1], -1).clone()
    for step in steps:
        positions.add(step)
    return positions
