"""WRONG: gets the input gradient with backward(create_graph=True) and x.grad: the penalty is
right, but backward also wrote d critic / d weights into the critic's .grad, and the next
optimizer step applies it on top of the real gradient.
Caught by: gradient_penalty leaves the critic's .grad alone."""

from collections.abc import Callable

import torch
from torch import nn


def hvp(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.autograd.grad(g, x, grad_outputs=v)[0]


def gradient_penalty(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_()
    critic(x).sum().backward(create_graph=True)
    return ((x.grad.norm(dim=1) - 1) ** 2).mean()
