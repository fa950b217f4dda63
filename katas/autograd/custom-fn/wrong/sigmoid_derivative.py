"""WRONG: uses the derivative of sigmoid, s * (1 - s), forgetting the product rule
for x * sigmoid(x).
Caught by: x.grad matches F.silu's for a random upstream gradient."""

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
        s = torch.sigmoid(x)
        return grad_output * s * (1 - s)
