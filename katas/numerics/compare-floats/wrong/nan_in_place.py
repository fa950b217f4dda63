"""WRONG: replaces NaNs by zeros in place in both tensors before comparing: the decisions are
right, but the caller's tensors are altered.
Caught by: matches leaves both tensors unchanged."""

import torch


def matches(got: torch.Tensor, expected: torch.Tensor) -> bool:
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return False
    if not torch.equal(got.isnan(), expected.isnan()):
        return False
    if got.is_floating_point():
        got.nan_to_num_(0.0)
        expected.nan_to_num_(0.0)
    try:
        torch.testing.assert_close(got, expected)
    except AssertionError:
        return False
    return True
