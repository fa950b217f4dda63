"""WRONG: autograd.grad of the summed outputs gives one gradient per sample, (B, n): each
Jacobian's m rows added into one, not the Jacobian.
Caught by: jacobians(f, x, W) holds one (m, n) Jacobian per sample: shape (B, m, n)."""

from collections.abc import Callable

import torch


def jacobians(
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor, W: torch.Tensor
) -> torch.Tensor:
    leaf = x.detach().requires_grad_()
    (grad,) = torch.autograd.grad(f(leaf, W).sum(), leaf)
    return grad
