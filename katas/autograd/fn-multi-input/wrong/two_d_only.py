"""WRONG: x.t() is written for 2-D x; for batched x it raises ("t() expects a tensor with <= 2
dimensions").
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
            grad_x = ctx.scale * (grad_output @ W.t())
        if ctx.needs_input_grad[1]:
            grad_W = ctx.scale * (x.t() @ grad_output)
        return grad_x, grad_W, None
