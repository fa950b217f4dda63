"""WRONG: checks shape and dtype, then uses one tolerance for every dtype, loosened until the
half-precision tests passed (rtol 1e-2): float32 and float64 results with real errors, a
thousand times their rounding, now pass too.
Caught by: False for errors beyond the dtype's tolerance, such as 1e-4 relative in float32."""

import torch


def matches(got: torch.Tensor, expected: torch.Tensor) -> bool:
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return False
    return torch.allclose(got, expected, rtol=1e-2, atol=1e-5, equal_nan=True)
