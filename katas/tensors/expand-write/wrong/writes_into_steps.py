"""WRONG: "vectorised" by adding start into the caller's first step, then summing: the
values are right, but the caller's steps tensor is changed (and T = 0 has no first step).
Caught by: start and steps are unchanged after the call."""

import torch


def random_walk(start: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    if len(steps) == 0:
        return start.repeat(steps.shape[1], 1)
    steps[0] += start
    return steps.sum(dim=0)
