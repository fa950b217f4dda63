"""WRONG: calls h.retain_grad() after backward(): the gradient has already passed h and was
not kept, so h.grad is still None.
Caught by: returns a tensor shaped like h."""

import torch
import torch.nn.functional as F
from torch import nn


def backward_with_feature_grad(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    h = model.encoder(x)
    loss = F.cross_entropy(model.head(h), y)
    loss.backward()
    h.retain_grad()
    return h.grad
