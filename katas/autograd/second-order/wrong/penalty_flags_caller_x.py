"""WRONG: gradient_penalty switches requires_grad on for the caller's x (the interpolated
samples) instead of working on x.detach().requires_grad_(). The penalty is right and the
critic's .grad untouched, but the caller's x now requires grad.
Caught by: hvp and gradient_penalty leave x as they found it, not requiring grad."""

from collections.abc import Callable

import torch
from torch import nn


def hvp(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    (hv,) = torch.autograd.grad(g, x, grad_outputs=v)
    return hv


def gradient_penalty(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    x.requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return ((g.norm(dim=1) - 1) ** 2).mean()
