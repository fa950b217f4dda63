"""WRONG: checks shape and dtype, then allows a fixed absolute error of 1e-6 for every dtype:
far below what float16 and bfloat16 can resolve, and below float32's rounding on large sums.
Caught by: True for float16 and bfloat16 results one rounding step apart (also: True for sums
computed in another order)."""

import torch


def matches(got: torch.Tensor, expected: torch.Tensor) -> bool:
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return False
    both_nan = got.isnan() & expected.isnan()
    close = (got.double() - expected.double()).abs() <= 1e-6
    return bool((close | both_nan | (got == expected)).all())
