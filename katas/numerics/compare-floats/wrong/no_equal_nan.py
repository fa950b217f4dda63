"""WRONG: wraps torch.testing.assert_close but leaves equal_nan at its default, False: a kernel
that returns NaN exactly where the reference does is reported as a mismatch.
Caught by: NaN matches NaN in the same place and nothing else; inf must match exactly."""

import torch


def matches(got: torch.Tensor, expected: torch.Tensor) -> bool:
    try:
        torch.testing.assert_close(got, expected)
    except AssertionError:
        return False
    return True
