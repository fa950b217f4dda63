"""WRONG: makes h a leaf with h.detach().requires_grad_(): h.grad is right, but the encoder
is cut out of the graph and its parameters get no gradient.
Caught by: every parameter gets d loss / d parameter, as from loss.backward()."""

import torch
import torch.nn.functional as F
from torch import nn


def backward_with_feature_grad(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    h = model.encoder(x).detach().requires_grad_()
    loss = F.cross_entropy(model.head(h), y)
    loss.backward()
    return h.grad
