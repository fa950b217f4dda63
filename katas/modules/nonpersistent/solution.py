"""Single-head causal self-attention with a cached causal mask."""

import math

import torch
from torch import nn


class CausalSelfAttention(nn.Module):
    """Attention over x of shape (batch, T, dim), T <= max_len; position t sees positions <= t."""

    def __init__(self, dim: int, max_len: int) -> None:
        super().__init__()
        self.dim = dim
        self.qkv = nn.Linear(dim, 3 * dim)
        # True above the diagonal: the future positions each query must not see.
        mask = torch.ones(max_len, max_len, dtype=torch.bool).triu(1)
        # A buffer, so .to() moves it; not persistent, because it is derived from max_len
        # and does not belong in checkpoints.
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T = x.shape[1]
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.dim)
        scores = scores.masked_fill(self.mask[:T, :T], float("-inf"))
        return scores.softmax(dim=-1) @ v


if __name__ == "__main__":
    old_checkpoint = nn.ModuleDict({"qkv": nn.Linear(8, 24)}).state_dict()
    CausalSelfAttention(8, max_len=16).load_state_dict(old_checkpoint)
    print("old checkpoint loaded")
