"""WRONG: works on the caller's x and goes through x.grad: the values are right, but the
gradient the caller had in x.grad (a model's current gradient) is overwritten with H v.
Caught by: hvp leaves x.grad as it was."""

from collections.abc import Callable

import torch
from torch import nn


def hvp(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    if not x.requires_grad:
        x = x.detach().requires_grad_()
    x.grad = None
    f(x).backward(create_graph=True)
    g = x.grad
    x.grad = None
    (g * v).sum().backward()
    return x.grad.detach()


def gradient_penalty(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return ((g.norm(dim=1) - 1) ** 2).mean()
