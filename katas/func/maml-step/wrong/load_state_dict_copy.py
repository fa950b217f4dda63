"""WRONG: builds the adapted model as a deepcopy and loads the adapted weights with
load_state_dict: that copies their values into the copy's own leaf parameters, so the query
loss has no path back to the original parameters, and meta-training never moves them.
Caught by: loss.backward() gives every parameter its second-order meta-gradient."""

import copy

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
    params = dict(model.named_parameters())
    support_loss = F.mse_loss(model(xs), ys)
    grads = torch.autograd.grad(support_loss, list(params.values()), create_graph=True)
    adapted = copy.deepcopy(model)
    adapted.load_state_dict({name: p - lr * g for (name, p), g in zip(params.items(), grads)})
    xq, yq = query
    return F.mse_loss(adapted(xq), yq)
