"""WRONG: torch.div without a rounding mode divides the wrapped uint8 sum and returns floats.
Caught by: blend(a, b) is the mean of a and b rounded down, also where a + b exceeds 255
(also: blend(a, b) returns a uint8 tensor of a's shape, on a's device)."""

import torch


def blend(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.div(a + b, 2)
