"""WRONG: shifts the causal diagonal by the chunk length instead of the cache length: a
prefill chunk sees its own future, and a single new token sees only the first two keys.
Caught by: a whole sequence in one call, without a cache, is causal attention (also: token
by token, chunks)."""

import torch
import torch.nn.functional as F
from torch import nn


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x, cache=None):
        B, T, dim = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        if cache is not None:
            k = torch.cat([cache[0], k], dim=2)
            v = torch.cat([cache[1], v], dim=2)
        mask = torch.ones(T, k.shape[2], dtype=torch.bool, device=x.device).tril(diagonal=T)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out(y.transpose(1, 2).reshape(B, T, dim)), (k, v)
