"""A matrix product with a fixed scale, as a custom autograd Function: scale * (x @ W)."""

from typing import Any

import torch


class ScaledMatmul(torch.autograd.Function):
    """``ScaledMatmul.apply(x, W, scale)``: x is (..., k), W is (k, n), scale a Python float."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, W: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.save_for_backward(x, W)
        ctx.scale = scale  # a plain number, not a tensor: a ctx attribute is the place for it
        return scale * (x @ W)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> Any:
        x, W = ctx.saved_tensors
        grad_x = grad_W = None
        # needs_input_grad has one flag per forward input: skip products nobody asked for
        # (a frozen W, or x straight from the data loader)
        if ctx.needs_input_grad[0]:
            grad_x = ctx.scale * (grad_output @ W.mT)
        if ctx.needs_input_grad[1]:
            # sum dL/dW over every batch dimension of x: flatten them into the rows
            k, n = W.shape
            grad_W = ctx.scale * (x.reshape(-1, k).mT @ grad_output.reshape(-1, n))
        # one entry per forward input, in order; scale is a Python number, so None
        return grad_x, grad_W, None


if __name__ == "__main__":
    W = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    for shape in [(5, 3), (2, 5, 3)]:
        x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
        ok = torch.autograd.gradcheck(ScaledMatmul.apply, (x, W, 0.5), raise_exception=False)
        print(f"gradcheck, x of shape {shape}:", ok)
