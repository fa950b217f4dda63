"""Second derivatives: Hessian-vector products and a WGAN-GP gradient penalty."""

from collections.abc import Callable

import torch
from torch import nn


def hvp(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    """H v, where H is the Hessian of the scalar function f at x; shaped like x."""
    x = x.detach().requires_grad_()
    # TODO: g cannot be differentiated again, so the second grad raises.
    (g,) = torch.autograd.grad(f(x), x)
    (hv,) = torch.autograd.grad(g, x, grad_outputs=v)
    return hv


def gradient_penalty(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """mean over samples of (||d critic(x)_i / d x_i|| - 1) ** 2, differentiable in the critic."""
    x = x.detach().requires_grad_()
    # TODO: the penalty comes out as a constant: the critic's weights get no gradient from it.
    (g,) = torch.autograd.grad(critic(x).sum(), x)
    return ((g.norm(dim=1) - 1) ** 2).mean()


if __name__ == "__main__":
    x, v = torch.randn(4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    f = lambda t: (t.sin() * t**2).sum()  # noqa: E731
    print("hvp:     ", hvp(f, x, v))
    print("expected:", torch.autograd.functional.hvp(f, x, v)[1])
    critic = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    print("penalty requires grad:", gradient_penalty(critic, torch.randn(5, 3)).requires_grad)
