"""WRONG: turns off assert_close's dtype check, so a kernel that returns float64 where float32
is expected passes its test.
Caught by: False when shapes differ (even if they broadcast) or dtypes differ."""

import torch


def matches(got: torch.Tensor, expected: torch.Tensor) -> bool:
    try:
        torch.testing.assert_close(got, expected, equal_nan=True, check_dtype=False)
    except AssertionError:
        return False
    return True
