"""WRONG: adds the two uint8 images directly: the sum is computed in uint8 and wraps around
modulo 256 (200 + 100 gives 44), so bright pixels come out dark.
Caught by: blend(a, b) is the mean of a and b rounded down, also where a + b exceeds 255."""

import torch


def blend(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a + b) // 2
