"""WRONG: x kept as a ctx attribute instead of ctx.save_for_backward. Gradients are right
(gradcheck passes), but autograd never sees the saved tensor: an in-place change to x after
forward silently corrupts the gradient, and saved-tensor hooks (offloading, checkpointing)
skip it.
Caught by: SiLUFn keeps x with ctx.save_for_backward (also: changing x in place after forward
cannot corrupt the gradient)."""

from typing import Any

import torch


class SiLUFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.x = x
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        x = ctx.x
        s = torch.sigmoid(x)
        return grad_output * s * (1 + x * (1 - s))
