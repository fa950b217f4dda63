"""A key/value cache with torch's bottom-right causal bias.

``causal_lower_right(T, T_total)`` aligns the causal diagonal with the bottom-right corner of
the (T, T_total) score matrix: the last new token sees every key. Without a cache the matrix
is square and ``is_causal=True`` is the same thing. The cache is kept as a list until it is
returned as a tuple, and the heads are split with ``unflatten`` and ``chunk``.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention.bias import causal_lower_right

Cache = tuple[torch.Tensor, torch.Tensor]


class Attention(nn.Module):
    """Multi-head causal self-attention over x of shape (B, T, dim)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, cache: Cache | None = None) -> tuple[torch.Tensor, Cache]:
        steps = x.shape[1]
        q, k, v = (
            part.unflatten(-1, (self.heads, -1)).transpose(1, 2)
            for part in self.qkv(x).chunk(3, dim=-1)
        )
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            k, v = (torch.cat([old, new], dim=-2) for old, new in zip(cache, (k, v), strict=True))
            bias = causal_lower_right(steps, k.shape[-2])
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.out(y.transpose(1, 2).flatten(2)), (k, v)
