"""WRONG: batch_first=True, but lengths is never used: real tokens attend to the padding.
Caught by: what sits at padded positions changes no real token's output (also: real tokens
get MultiheadAttention over their own sentence, and x stays unchanged)."""

import torch
from torch import nn


class SelfAttention(nn.Module):
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)

    def forward(self, x, lengths):
        out, _ = self.attn(x, x, x)
        return out
