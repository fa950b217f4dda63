"""Second solution for second-order: hvp as the gradient of the dot product g . v, and the
penalty through torch.func (grad of the critic, vmapped over samples), which is
differentiable by construction."""

from collections.abc import Callable

import torch
from torch import nn
from torch.func import functional_call, grad, vmap


def hvp(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    leaf = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(leaf), [leaf], create_graph=True)
    (hv,) = torch.autograd.grad(torch.sum(g * v), [leaf])
    return hv.detach()


def gradient_penalty(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    params = dict(critic.named_parameters())
    buffers = dict(critic.named_buffers())

    def score(sample: torch.Tensor) -> torch.Tensor:
        return functional_call(critic, (params, buffers), (sample.unsqueeze(0),)).squeeze()

    grads = vmap(grad(score))(x.detach())
    return (torch.linalg.vector_norm(grads, dim=-1) - 1).pow(2).mean()
