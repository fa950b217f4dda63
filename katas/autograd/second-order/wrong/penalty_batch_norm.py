"""WRONG: one gradient norm over the whole batch instead of one per sample.
Caught by: gradient_penalty equals mean((||d critic(x)_i / d x_i|| - 1)**2)."""

from collections.abc import Callable

import torch
from torch import nn


def hvp(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.autograd.grad(g, x, grad_outputs=v)[0]


def gradient_penalty(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return (g.norm() - 1) ** 2
