"""WRONG: builds the Jacobians row by row with autograd.grad after x.requires_grad_(): the
values are right, but the caller's x now requires grad, so everything later computed from it
builds an autograd graph back to the data.
Caught by: jacobians leaves x and W as they were, requires_grad included."""

from collections.abc import Callable

import torch


def jacobians(
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor, W: torch.Tensor
) -> torch.Tensor:
    x.requires_grad_()
    out = f(x, W)  # (B, m): sample b's outputs depend on x[b] only
    rows = [torch.autograd.grad(out[:, i].sum(), x, retain_graph=True)[0] for i in range(out.shape[1])]
    return torch.stack(rows, dim=1).detach()
