"""WRONG: drops the cache and rebuilds the mask in every forward, on the default device
(the CPU): wasteful, and on a GPU masked_fill fails with a device mismatch.
Caught by: attn.mask is a buffer (also: the mask follows the module)."""

import math

import torch
from torch import nn


class CausalSelfAttention(nn.Module):
    def __init__(self, dim: int, max_len: int) -> None:
        super().__init__()
        self.dim = dim
        self.qkv = nn.Linear(dim, 3 * dim)
        self.max_len = max_len

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T = x.shape[1]
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.dim)
        scores = scores.masked_fill(mask, float("-inf"))
        return scores.softmax(dim=-1) @ v
