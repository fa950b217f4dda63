"""WRONG: torch.allclose broadcasts a (3, 1) result against a (3,) reference and says True,
raises for dtypes that differ, and treats NaN as unequal to NaN.
Caught by: False when shapes differ (even if they broadcast) or dtypes differ (also: NaN
matches NaN in the same place and nothing else; inf must match exactly)."""

import torch


def matches(got: torch.Tensor, expected: torch.Tensor) -> bool:
    return torch.allclose(got, expected)
