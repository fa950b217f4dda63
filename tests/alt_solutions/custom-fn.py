"""SiLU as a custom autograd Function, written from exp(-|x|) instead of torch.sigmoid.

With ``e = exp(-|x|)`` (at most 1, so it never overflows), the logistic function and its
complement are ``sigmoid(x) = where(x >= 0, 1, e) / (1 + e)`` and
``1 - sigmoid(x) = where(x >= 0, e, 1) / (1 + e)``; taking the complement this way avoids the
cancellation in ``1 - s`` for large positive x.
"""

from typing import Any

import torch


def _sigmoid_and_complement(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    e = torch.exp(-x.abs())
    positive = x >= 0
    one = torch.ones_like(e)
    denominator = 1 + e
    return torch.where(positive, one, e) / denominator, torch.where(positive, e, one) / denominator


class SiLUFn(torch.autograd.Function):
    """``SiLUFn.apply(x)`` computes ``x / (1 + exp(-x))`` without overflow."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        s, _ = _sigmoid_and_complement(x)
        return x * s

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        # d/dx [x * s(x)] = s + x * s * (1 - s); every op here is differentiable again
        s, s_complement = _sigmoid_and_complement(x)
        return grad_output * (s + x * s * s_complement)
