"""The comparison every kernel test ends with: assert matches(got, expected)."""

import torch

# torch.testing's default (rtol, atol) for each floating dtype; other dtypes are exact.
TOLERANCES = {
    torch.float16: (1e-3, 1e-5),
    torch.bfloat16: (1.6e-2, 1e-5),
    torch.float32: (1.3e-6, 1e-5),
    torch.float64: (1e-7, 1e-7),
}


def matches(got: torch.Tensor, expected: torch.Tensor) -> bool:
    """Whether a kernel's output matches its reference's, for the test suite."""
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return False  # before any arithmetic: no broadcasting, no promotion
    rtol, atol = TOLERANCES.get(got.dtype, (0.0, 0.0))
    close = torch.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    return bool(close.all())
