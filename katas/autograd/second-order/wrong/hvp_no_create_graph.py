"""WRONG: hvp's first gradient is computed without create_graph=True, so it has no graph
and the second grad raises "element 0 of tensors does not require grad".
Caught by: hvp(f, x, v) equals the Hessian of f at x times v."""

from collections.abc import Callable

import torch
from torch import nn


def hvp(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(f(x), x)
    return torch.autograd.grad((g * v).sum(), x)[0]


def gradient_penalty(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return ((g.norm(dim=1) - 1) ** 2).mean()
