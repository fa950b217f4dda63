"""A test helper for the team's custom autograd Functions."""

from collections.abc import Callable
from typing import Any

import torch


def check_backward(fn: Callable[..., Any], *shapes: tuple[int, ...], device: str = "cpu") -> bool:
    """Whether fn's backward matches finite differences at random inputs of the given shapes.

    fn takes one tensor per shape and returns a tensor (or a tuple of tensors).
    """
    # float64: gradcheck's finite differences (eps=1e-6) drown in float32 rounding error.
    # randn: both signs, so a backward wrong on one side of zero is exercised.
    # requires_grad on every input: gradcheck only checks inputs that require grad.
    inputs = [
        torch.randn(shape, dtype=torch.float64, device=device, requires_grad=True)
        for shape in shapes
    ]
    return torch.autograd.gradcheck(fn, inputs, raise_exception=False)


class Sigmoid(torch.autograd.Function):
    """A correct sigmoid: check_backward(Sigmoid.apply, (3, 4)) should be True."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        y = torch.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        return grad_output * y * (1 - y)


if __name__ == "__main__":
    print("a correct sigmoid:", check_backward(Sigmoid.apply, (3, 4)))
