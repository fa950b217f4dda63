"""WRONG: keys the adapted weights by their short names ("weight", "bias") instead of the
full ones ("head.weight"): functional_call finds none of them and silently runs the model's
own parameters, so the "adapted" loss is the loss before the step.
Caught by: meta_loss is the query loss of the model after one SGD step on the support loss."""

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
    grads = torch.autograd.grad(support_loss, list(params.values()), create_graph=True)
    adapted = {name.split(".")[-1]: p - lr * g for (name, p), g in zip(params.items(), grads)}
    xq, yq = query
    return F.mse_loss(functional_call(model, adapted, (xq,)), yq)
