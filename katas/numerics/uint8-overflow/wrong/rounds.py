"""WRONG: averages in float and rounds to the nearest integer (half to even), so an odd sum
such as 255 + 0 gives 128 instead of 127.
Caught by: blend(a, b) is the mean of a and b rounded down, also where a + b exceeds 255."""

import torch


def blend(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return ((a.float() + b.float()) / 2).round().to(torch.uint8)
