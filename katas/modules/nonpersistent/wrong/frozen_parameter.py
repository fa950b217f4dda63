"""WRONG: the mask as a frozen bool nn.Parameter: it moves with .to(), but it is a
parameter and is saved in every checkpoint, so old checkpoints still fail to load strictly.
Caught by: state_dict() holds qkv.weight and qkv.bias only (also: the old checkpoint loads)."""

import math

import torch
from torch import nn


class CausalSelfAttention(nn.Module):
    def __init__(self, dim: int, max_len: int) -> None:
        super().__init__()
        self.dim = dim
        self.qkv = nn.Linear(dim, 3 * dim)
        mask = torch.ones(max_len, max_len, dtype=torch.bool).triu(1)
        self.mask = nn.Parameter(mask, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T = x.shape[1]
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.dim)
        scores = scores.masked_fill(self.mask[:T, :T], float("-inf"))
        return scores.softmax(dim=-1) @ v
