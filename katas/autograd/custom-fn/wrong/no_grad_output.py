"""WRONG: returns silu'(x) and forgets to multiply by grad_output (the chain rule).
Right only when the upstream gradient is all ones, as for y.sum().backward().
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
        return s * (1 + x * (1 - s))
