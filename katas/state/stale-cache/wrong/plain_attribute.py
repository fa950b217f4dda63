"""WRONG: keeps the cache as a plain tensor attribute, refreshed after loading: the outputs
follow the weight, but .double() and .to() convert only parameters and buffers, so the
cache stays float32 (or on the old device) and forward fails.
Caught by: after loading, layer.double() gives float64 outputs that follow the weight."""

import torch
from torch import nn


def _refresh(module: nn.Module, incompatible_keys: object) -> None:
    module.refresh()


class Whitened(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.eye(dim) + 0.1 * torch.randn(dim, dim))
        self.refresh()
        self.register_load_state_dict_post_hook(_refresh)

    @torch.no_grad()
    def refresh(self) -> None:
        self.inverse = torch.linalg.inv(self.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.inverse.T
