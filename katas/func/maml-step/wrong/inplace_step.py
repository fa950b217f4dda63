"""WRONG: takes the inner step in place under torch.no_grad(), like an optimizer: the model
is changed by computing its meta-loss, and the update is invisible to autograd, so the
meta-gradient is wrong too.
Caught by: meta_loss leaves the model's parameters bitwise unchanged and their .grad empty."""

import torch
import torch.nn.functional as F
from torch import nn


def meta_loss(
    model: nn.Module,
    support: tuple[torch.Tensor, torch.Tensor],
    query: tuple[torch.Tensor, torch.Tensor],
    lr: float,
) -> torch.Tensor:
    xs, ys = support
    params = list(model.parameters())
    grads = torch.autograd.grad(F.mse_loss(model(xs), ys), params, create_graph=True)
    with torch.no_grad():
        for p, g in zip(params, grads):
            p -= lr * g
    xq, yq = query
    return F.mse_loss(model(xq), yq)
