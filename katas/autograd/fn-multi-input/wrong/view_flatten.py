"""WRONG: flattens the batch dimensions with view, which fails on a non-contiguous x ("view size
is not compatible with input tensor's size and stride"); reshape copies when it must.
Caught by: x.grad and W.grad are right, for 2-D and batched x."""

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
            grad_W = ctx.scale * (x.view(-1, k).mT @ grad_output.view(-1, n))
        return grad_x, grad_W, None
