"""WRONG: torch.equal demands the same bits, so two right sums computed in another order
(chunks, another thread count) do not match.
Caught by: True for sums computed in another order (chunks, threads): equal up to rounding."""

import torch


def matches(got: torch.Tensor, expected: torch.Tensor) -> bool:
    return torch.equal(got, expected)
