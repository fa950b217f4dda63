"""WRONG: refreshes the cache in a load post-hook, but with grad mode on: inv(weight) of a
Parameter carries autograd history, the buffer holds that graph, and copy.deepcopy refuses
a tensor that is not a graph leaf.
Caught by: after loading, copy.deepcopy(layer) works and computes the same outputs."""

import torch
from torch import nn


def _refresh(module: nn.Module, incompatible_keys: object) -> None:
    module.inverse = torch.linalg.inv(module.weight)


class Whitened(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.eye(dim) + 0.1 * torch.randn(dim, dim))
        self.register_buffer("inverse", torch.linalg.inv(self.weight.detach()), persistent=False)
        self.register_load_state_dict_post_hook(_refresh)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.inverse.T
