"""WRONG: writes sigmoid's derivative as exp(-x) / (1 + exp(-x))**2: for x <= -710,
exp(-x) overflows to inf and inf / inf gives NaN gradients.
Caught by: large |x| gives finite outputs and gradients that match F.silu."""

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
        e = torch.exp(-x)
        return grad_output * (1 / (1 + e) + x * e / (1 + e) ** 2)
