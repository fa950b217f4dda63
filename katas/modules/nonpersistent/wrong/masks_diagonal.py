"""WRONG: triu(0) also masks the diagonal, so a position cannot attend to itself, and the
first position sees nothing at all (a row of -inf gives NaN after softmax).
Caught by: attn(x) is causal attention (also: attn.mask is ... True above the diagonal)."""

import math

import torch
from torch import nn


class CausalSelfAttention(nn.Module):
    def __init__(self, dim: int, max_len: int) -> None:
        super().__init__()
        self.dim = dim
        self.qkv = nn.Linear(dim, 3 * dim)
        mask = torch.ones(max_len, max_len, dtype=torch.bool).triu(0)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T = x.shape[1]
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.dim)
        scores = scores.masked_fill(self.mask[:T, :T], float("-inf"))
        return scores.softmax(dim=-1) @ v
