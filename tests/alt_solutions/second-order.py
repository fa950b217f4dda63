"""Second solution for second-order: hvp through torch.autograd.functional.hvp, and the
penalty written as in the WGAN-GP reference code (grad_outputs of ones, vector_norm)."""

from collections.abc import Callable

import torch
from torch import nn


def hvp(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> torch.Tensor:
    _, product = torch.autograd.functional.hvp(f, x.detach(), v)
    return product


def gradient_penalty(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    inputs = x.detach().clone().requires_grad_(True)
    scores = critic(inputs)
    (grads,) = torch.autograd.grad(
        outputs=scores,
        inputs=inputs,
        grad_outputs=torch.ones_like(scores),
        create_graph=True,
    )
    norms = torch.linalg.vector_norm(grads.reshape(len(grads), -1), dim=1)
    return torch.mean((norms - 1.0) ** 2)
