"""WRONG: computes both derivatives with backward() and reads x.grad: backward adds into
.grad, so what comes back is the gradient plus H v.
Caught by: hvp(f, x, v) equals the Hessian of f at x times v."""

from collections.abc import Callable

import torch
from torch import nn


def hvp(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_()
    f(x).backward(create_graph=True)
    (x.grad * v).sum().backward()
    return x.grad.detach()


def gradient_penalty(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return ((g.norm(dim=1) - 1) ** 2).mean()
