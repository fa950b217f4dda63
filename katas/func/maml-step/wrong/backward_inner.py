"""WRONG: runs the inner step with support_loss.backward(create_graph=True) and reads .grad:
the value is right, but the support gradients stay in the model's .grad, and the outer
backward adds the meta-gradient on top of them.
Caught by: meta_loss leaves the model's parameters bitwise unchanged and their .grad empty."""

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call


def meta_loss(
    model: nn.Module,
    support: tuple[torch.Tensor, torch.Tensor],
    query: tuple[torch.Tensor, torch.Tensor],
    lr: float,
) -> torch.Tensor:
    params = dict(model.named_parameters())
    xs, ys = support
    F.mse_loss(functional_call(model, params, (xs,)), ys).backward(create_graph=True)
    adapted = {name: p - lr * p.grad for name, p in params.items()}
    xq, yq = query
    return F.mse_loss(functional_call(model, adapted, (xq,)), yq)
