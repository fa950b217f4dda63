"""Second solution for expand-write: no in-place update at all; broadcast start onto the sum."""

import torch


def random_walk(start: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    # Reading through a broadcast is free and safe; `+` allocates the (B, N) result.
    # With T = 0, steps.sum(0) is a (B, N) tensor of zeros, so the result is still fresh.
    return start + steps.sum(dim=0)
