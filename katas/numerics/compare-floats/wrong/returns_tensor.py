"""WRONG: right decisions, but returns a 0-dim bool tensor instead of a Python bool.
Caught by: matches returns a Python bool."""

import torch

TOLERANCES = {
    torch.float16: (1e-3, 1e-5),
    torch.bfloat16: (1.6e-2, 1e-5),
    torch.float32: (1.3e-6, 1e-5),
    torch.float64: (1e-7, 1e-7),
}


def matches(got: torch.Tensor, expected: torch.Tensor) -> bool:
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return torch.tensor(False)
    rtol, atol = TOLERANCES.get(got.dtype, (0.0, 0.0))
    return torch.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True).all()
