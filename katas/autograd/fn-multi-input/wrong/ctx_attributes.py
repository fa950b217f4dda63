"""WRONG: keeps x and W as ctx attributes. The gradients are right, but autograd cannot
protect them: an in-place update of W (an optimizer step) before backward silently changes
the gradient instead of raising.
Caught by: ScaledMatmul keeps x and W with ctx.save_for_backward."""

from typing import Any

import torch


class ScaledMatmul(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, W: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.x, ctx.W, ctx.scale = x, W, scale
        return scale * (x @ W)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> Any:
        x, W = ctx.x, ctx.W
        grad_x = grad_W = None
        if ctx.needs_input_grad[0]:
            grad_x = ctx.scale * (grad_output @ W.mT)
        if ctx.needs_input_grad[1]:
            k, n = W.shape
            grad_W = ctx.scale * (x.reshape(-1, k).mT @ grad_output.reshape(-1, n))
        return grad_x, grad_W, None
