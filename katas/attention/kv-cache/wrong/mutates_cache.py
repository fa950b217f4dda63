"""WRONG: keeps the cache in a list and grows it in place. Decoding one sequence works, but
the caller's cache changes under it: a second continuation of the same prompt (beam search,
several samples) sees the first continuation's tokens too.
Caught by: a cache passed in stays unchanged, so two continuations can share one prompt's
cache."""

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
        if cache is None:
            cache = [k, v]
        else:
            cache[0] = torch.cat([cache[0], k], dim=2)
            cache[1] = torch.cat([cache[1], v], dim=2)
        k, v = cache
        past = k.shape[2] - T
        mask = torch.ones(T, past + T, dtype=torch.bool, device=x.device).tril(diagonal=past)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out(y.transpose(1, 2).reshape(B, T, dim)), cache
