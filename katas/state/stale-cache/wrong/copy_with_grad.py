"""WRONG: refreshes the cache in place with copy_ after loading, with grad mode on: copying
from inv(weight) makes the buffer require grad (its grad_fn is CopyBackwards), so it holds
an autograd graph and copy.deepcopy raises.
Caught by: after loading, copy.deepcopy(layer) works and computes the same outputs."""

from typing import Any

import torch
from torch import nn


class Whitened(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.eye(dim) + 0.1 * torch.randn(dim, dim))
        self.register_buffer("inverse", torch.linalg.inv(self.weight.detach()), persistent=False)

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        super()._load_from_state_dict(*args, **kwargs)
        self.inverse.copy_(torch.linalg.inv(self.weight))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.inverse.T
