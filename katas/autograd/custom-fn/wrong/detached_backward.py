"""WRONG: computes the gradient from x.detach(): first derivatives are right, but the
backward is cut off from x, so second derivatives (gradient penalties, Hessian-vector
products) come out wrong.
Caught by: second derivatives pass float64 gradgradcheck."""

from typing import Any

import torch


class SiLUFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        x = x.detach()
        s = torch.sigmoid(x)
        return grad_output * s * (1 + x * (1 - s))
