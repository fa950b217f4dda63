"""WRONG: torch.autograd.grad(loss, h) returns d loss / d h, but fills no .grad: the training
step's backward never happens.
Caught by: every parameter gets d loss / d parameter, as from loss.backward()."""

import torch
import torch.nn.functional as F
from torch import nn


def backward_with_feature_grad(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    h = model.encoder(x)
    loss = F.cross_entropy(model.head(h), y)
    (grad_h,) = torch.autograd.grad(loss, h)
    return grad_h
