"""WRONG: the inner gradients are computed without create_graph=True, so they are constants
to the outer backward: the meta-gradient is the first-order approximation (off by a large
fraction on this task), not MAML's.
Caught by: loss.backward() gives every parameter its second-order meta-gradient."""

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
    support_loss = F.mse_loss(functional_call(model, params, (xs,)), ys)
    grads = torch.autograd.grad(support_loss, list(params.values()))
    adapted = {name: p - lr * g for (name, p), g in zip(params.items(), grads)}
    xq, yq = query
    return F.mse_loss(functional_call(model, adapted, (xq,)), yq)
