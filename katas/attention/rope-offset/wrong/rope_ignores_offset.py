"""WRONG: rope takes the offset but slices its table of angles from position 0, so the offset
changes nothing. The forward pass passes the right offset, to no effect.
Caught by: rope(x, offset) rotates x as if it sat at positions offset, offset + 1, … (also:
decoding)."""

import torch
import torch.nn.functional as F
from torch import nn


def rope(x, offset=0):
    T, D = x.shape[-2], x.shape[-1]
    dtype = torch.promote_types(x.dtype, torch.float32)
    freqs = 10000.0 ** (-torch.arange(0, D, 2, device=x.device, dtype=dtype) / D)
    table = torch.arange(offset + T, device=x.device, dtype=dtype)[:, None] * freqs
    angles = table[:T]
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
        q, k = rope(q, past), rope(k, past)
        if cache is not None:
            k = torch.cat([cache[0], k], dim=2)
            v = torch.cat([cache[1], v], dim=2)
        allowed = torch.ones(T, past + T, dtype=torch.bool, device=x.device).tril(diagonal=past)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        return self.out(y.transpose(1, 2).reshape(B, T, dim)), (k, v)
