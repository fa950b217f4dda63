"""Second derivatives: Hessian-vector products and a WGAN-GP gradient penalty."""

from collections.abc import Callable

import torch
from torch import nn


def hvp(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    """H v, where H is the Hessian of the scalar function f at x; shaped like x."""
    x = x.detach().requires_grad_()  # a leaf of our own: the caller's x.grad stays untouched
    # create_graph=True records the backward pass, so g is a function of x we can differentiate
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    (hv,) = torch.autograd.grad(g, x, grad_outputs=v)  # d(g . v)/dx = H v
    return hv


def gradient_penalty(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """mean over samples of (||d critic(x)_i / d x_i|| - 1) ** 2, differentiable in the critic."""
    x = x.detach().requires_grad_()
    # samples are independent, so the gradient of the sum holds each sample's own gradient;
    # create_graph=True keeps it differentiable with respect to the critic's weights
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return ((g.norm(dim=1) - 1) ** 2).mean()


if __name__ == "__main__":
    x, v = torch.randn(4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    f = lambda t: (t.sin() * t**2).sum()  # noqa: E731
    print("hvp:     ", hvp(f, x, v))
    print("expected:", torch.autograd.functional.hvp(f, x, v)[1])
    critic = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    print("penalty requires grad:", gradient_penalty(critic, torch.randn(5, 3)).requires_grad)
