"""WRONG: reads the needs_input_grad flags the wrong way round ([1] for x, [0] for W). With both
inputs trainable nothing shows; with one frozen, the needed gradient is skipped and the
useless one computed.
Caught by: backward skips the product for a frozen W or a data x."""

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
        if ctx.needs_input_grad[1]:
            grad_x = ctx.scale * (grad_output @ W.mT)
        if ctx.needs_input_grad[0]:
            k, n = W.shape
            grad_W = ctx.scale * (x.reshape(-1, k).mT @ grad_output.reshape(-1, n))
        return grad_x, grad_W, None
