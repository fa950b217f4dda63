"""Second solution for grad-reverse: a forward pre-hook routes the module's input through a
custom autograd Function, the identity in forward and -lambd * grad in backward."""

from typing import Any

import torch
from torch import nn


class _Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, lambd: float) -> torch.Tensor:
        ctx.lambd = lambd
        return x.view_as(x)  # a new tensor node, so only this path gets the reversal

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.lambd * grad, None


def reverse_gradient(module: nn.Module, lambd: float) -> Any:
    def pre_hook(module: nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...]:
        first, *rest = args
        return (_Reverse.apply(first, lambd), *rest)

    return module.register_forward_pre_hook(pre_hook)
