"""WRONG: makes the cache a persistent buffer, so load_state_dict loads it along with the
weight: the outputs are right, but state_dict() gains an `inverse` key that every existing
checkpoint lacks, and strict loading of those fails.
Caught by: state_dict() holds only weight: the cache stays out of checkpoints (also: after
load_state_dict, the outputs follow the loaded weight)."""

import torch
from torch import nn


class Whitened(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.eye(dim) + 0.1 * torch.randn(dim, dim))
        self.register_buffer("inverse", torch.linalg.inv(self.weight.detach()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.inverse.T
