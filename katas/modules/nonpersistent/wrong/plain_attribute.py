"""WRONG: the mask as a plain attribute: old checkpoints load and nothing is saved, but
.to() does not move it, so on a GPU the first forward fails (device mismatch).
Caught by: the mask follows the module: .to(device) and .to(meta) move it (also: attn.mask is
a buffer)."""

import math

import torch
from torch import nn


class CausalSelfAttention(nn.Module):
    def __init__(self, dim: int, max_len: int) -> None:
        super().__init__()
        self.dim = dim
        self.qkv = nn.Linear(dim, 3 * dim)
        self.mask = torch.ones(max_len, max_len, dtype=torch.bool).triu(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T = x.shape[1]
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.dim)
        scores = scores.masked_fill(self.mask[:T, :T], float("-inf"))
        return scores.softmax(dim=-1) @ v
