"""WRONG: gets d loss / d h from a detached copy and runs the model again for the real
backward: every value is right, but the forward pass is paid twice.
Caught by: the encoder and the head run once per call."""

import torch
import torch.nn.functional as F
from torch import nn


def backward_with_feature_grad(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    h_leaf = model.encoder(x).detach().requires_grad_()
    F.cross_entropy(model.head(h_leaf), y).backward()
    model.zero_grad()
    F.cross_entropy(model.head(model.encoder(x)), y).backward()
    return h_leaf.grad
