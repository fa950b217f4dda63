"""Second solution for nonpersistent: tril-based mask, attention by scaled_dot_product_attention."""

import torch
import torch.nn.functional as F
from torch import nn


class CausalSelfAttention(nn.Module):
    def __init__(self, dim: int, max_len: int) -> None:
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        allowed = torch.tril(torch.ones(max_len, max_len, dtype=torch.bool))
        self.register_buffer("mask", ~allowed, persistent=False)  # True = masked out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[-2]
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        # SDPA's boolean attn_mask marks the positions that *may* be attended to
        return F.scaled_dot_product_attention(q, k, v, attn_mask=~self.mask[:t, :t])
