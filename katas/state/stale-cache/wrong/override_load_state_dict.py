"""WRONG: refreshes the cache in an override of load_state_dict: right when the layer itself
is loaded, but a model that contains it runs only its own load_state_dict, and the layer's
cache goes stale.
Caught by: inside a model, the layer follows the weight that model.load_state_dict loads."""

from typing import Any

import torch
from torch import nn


class Whitened(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.eye(dim) + 0.1 * torch.randn(dim, dim))
        self.register_buffer("inverse", torch.linalg.inv(self.weight.detach()), persistent=False)

    def load_state_dict(self, *args: Any, **kwargs: Any) -> Any:
        result = super().load_state_dict(*args, **kwargs)
        with torch.no_grad():
            self.inverse = torch.linalg.inv(self.weight)
        return result

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.inverse.T
