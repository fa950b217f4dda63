"""WRONG: the penalty's input gradient is computed without create_graph=True: the value is
right, but it is a constant, so the critic's weights learn nothing from it (no error).
Caught by: gradient_penalty backpropagates into the critic's weights."""

from collections.abc import Callable

import torch
from torch import nn


def hvp(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.autograd.grad(g, x, grad_outputs=v)[0]


def gradient_penalty(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(critic(x).sum(), x)
    return ((g.norm(dim=1) - 1) ** 2).mean()
