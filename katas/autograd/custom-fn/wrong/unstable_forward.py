"""WRONG: computes sigmoid as exp(x) / (1 + exp(x)): for x >= 710, exp(x) overflows and
inf / inf gives NaN outputs.
Caught by: large |x| gives finite outputs and gradients that match F.silu."""

from typing import Any

import torch


class SiLUFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        e = torch.exp(x)
        return x * e / (1 + e)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * s * (1 + x * (1 - s))
