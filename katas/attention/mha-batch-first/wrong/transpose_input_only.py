"""WRONG: keeps the default (T, B, E) layout and transposes the input, but returns the
output without transposing it back: (T, B, E) instead of (B, T, E).
Caught by: real tokens get MultiheadAttention over their own sentence, and x stays
unchanged."""

import torch
from torch import nn


class SelfAttention(nn.Module):
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dim, num_heads)

    def forward(self, x, lengths):
        pad = torch.arange(x.shape[1], device=x.device) >= lengths[:, None]
        x = x.transpose(0, 1)
        out, _ = self.attn(x, x, x, key_padding_mask=pad)
        return out
