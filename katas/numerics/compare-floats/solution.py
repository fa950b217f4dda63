"""The comparison every kernel test ends with: assert matches(got, expected)."""

import torch


def matches(got: torch.Tensor, expected: torch.Tensor) -> bool:
    """Whether a kernel's output matches its reference's, for the test suite."""
    # assert_close checks shape and dtype strictly (no broadcasting), then the values with
    # the dtype's tolerance; equal_nan=True counts NaN where NaN is expected as equal.
    try:
        torch.testing.assert_close(got, expected, equal_nan=True)
    except AssertionError:
        return False
    return True


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(100_000) * 3 + 0.3
    chunked = sum(chunk.sum() for chunk in x.split(1000))  # a fused kernel's order
    print(f"x.sum() = {x.sum().item():.6f}, chunked = {chunked.item():.6f}")
    print("matches:", matches(chunked, x.sum()))
