"""WRONG: torch.autograd.grad(loss, h) frees the graph, so the backward() after it raises
"Trying to backward through the graph a second time".
Caught by: every check (the call raises); the message asks for retain_graph=True."""

import torch
import torch.nn.functional as F
from torch import nn


def backward_with_feature_grad(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    h = model.encoder(x)
    loss = F.cross_entropy(model.head(h), y)
    (grad_h,) = torch.autograd.grad(loss, h)
    loss.backward()
    return grad_h
