"""WRONG: computes the right values without widening, but in place in a, overwriting the
caller's frame.
Caught by: blend(a, b) leaves a and b unchanged."""

import torch


def blend(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    both_odd = a & b & 1
    a >>= 1
    a += (b >> 1) + both_odd
    return a
