"""WRONG: caches the keys before rotation and rotates all of them again in every call. The
outputs are right, but every step redoes the rotation of the whole cache, and the cache does
not hold the keys attention used (code that reads it, such as cache eviction by attention
score or another layer sharing it, gets unrotated keys).
Caught by: the cache holds every token's key rotated once, at its position, and its value
as is."""

import torch
import torch.nn.functional as F
from torch import nn


def rope(x, offset=0):
    T, D = x.shape[-2], x.shape[-1]
    dtype = torch.promote_types(x.dtype, torch.float32)
    freqs = 10000.0 ** (-torch.arange(0, D, 2, device=x.device, dtype=dtype) / D)
    positions = torch.arange(offset, offset + T, device=x.device, dtype=dtype)
    angles = positions[:, None] * freqs
    cos, sin = angles.cos(), angles.sin()
    first, second = x[..., : D // 2], x[..., D // 2 :]
    return torch.cat([first * cos - second * sin, first * sin + second * cos], dim=-1).to(x.dtype)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x, cache=None):
        B, T, dim = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        past = 0 if cache is None else cache[0].shape[2]
        if cache is not None:
            k = torch.cat([cache[0], k], dim=2)
            v = torch.cat([cache[1], v], dim=2)
        y = F.scaled_dot_product_attention(
            rope(q, past),
            rope(k),
            v,
            attn_mask=torch.ones(T, past + T, dtype=torch.bool, device=x.device).tril(diagonal=past),
        )
        return self.out(y.transpose(1, 2).reshape(B, T, dim)), (k, v)
