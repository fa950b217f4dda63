"""SiLU as a custom autograd Function: silu(x) = x * sigmoid(x)."""

from typing import Any

import torch


class SiLUFn(torch.autograd.Function):
    """Call it as ``SiLUFn.apply(x)``; it matches ``torch.nn.functional.silu``."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        # save_for_backward: autograd checks the saved x for in-place changes before backward
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)  # stable for any x, unlike exp(-x) / (1 + exp(-x)) ** 2
        # d/dx x*s = s + x*s*(1-s); written with torch ops, so it is differentiable again
        return grad_output * s * (1 + x * (1 - s))


if __name__ == "__main__":
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    print("gradcheck:", torch.autograd.gradcheck(SiLUFn.apply, (x,), raise_exception=False))
