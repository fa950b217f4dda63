"""WRONG: saves sigmoid(x) computed in forward, to reuse it in backward. First derivatives are
right, but forward runs with grad mode off, so to double backward that saved sigmoid is a
constant: the second derivative misses its dependence on x.
Caught by: second derivatives pass float64 gradgradcheck."""

from typing import Any

import torch


class SiLUFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        s = torch.sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        x, s = ctx.saved_tensors
        return grad_output * s * (1 + x * (1 - s))
