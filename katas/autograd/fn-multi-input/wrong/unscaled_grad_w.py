"""WRONG: forgets the scale in dL/dW: right only for scale = 1.
Caught by: x.grad and W.grad are right, for 2-D and batched x (also: gradcheck, skips)."""

from typing import Any

import torch


class ScaledMatmul(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, W: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.save_for_backward(x, W)
        ctx.scale = scale
        return scale * (x @ W)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> Any:
        x, W = ctx.saved_tensors
        grad_x = grad_W = None
        if ctx.needs_input_grad[0]:
            grad_x = ctx.scale * (grad_output @ W.mT)
        if ctx.needs_input_grad[1]:
            k, n = W.shape
            grad_W = x.reshape(-1, k).mT @ grad_output.reshape(-1, n)
        return grad_x, grad_W, None
