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
        # TODO: this fails on backward, and on batched x. Also skip what nobody needs.
        grad_x = ctx.scale * grad_output @ W.t()
        grad_W = ctx.scale * x.t() @ grad_output
        return grad_x, grad_W


if __name__ == "__main__":
    W = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    for shape in [(5, 3), (2, 5, 3)]:
        x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
        ok = torch.autograd.gradcheck(ScaledMatmul.apply, (x, W, 0.5), raise_exception=False)
        print(f"gradcheck, x of shape {shape}:", ok)
