"""WRONG: .contiguous() after expand(). With several walkers it copies and all is well, but
an expanded (1, N) view is already contiguous, so with one walker .contiguous() returns the
view itself and add_ writes into start: every later rollout begins somewhere else.
Caught by: start and steps are unchanged after the call (and: each walker's result has its
own memory)."""

import torch


def random_walk(start: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    positions = start.expand(steps.shape[1], -1).contiguous()
    for step in steps:
        positions.add_(step)
    return positions
