"""WRONG: zeroes the padded positions of x in place instead of masking them. The caller's x
changes, and a zero vector still gives a key (the projection's bias) that real tokens attend
to.
Caught by: real tokens get MultiheadAttention over their own sentence, and x stays
unchanged."""

import torch
from torch import nn


class SelfAttention(nn.Module):
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)

    def forward(self, x, lengths):
        pad = torch.arange(x.shape[1], device=x.device) >= lengths[:, None]
        x.masked_fill_(pad[:, :, None], 0.0)
        out, _ = self.attn(x, x, x)
        return out
