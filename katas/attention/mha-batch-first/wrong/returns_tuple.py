"""WRONG: returns what MultiheadAttention returns, the tuple (output, attention weights).
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
        return self.attn(x, x, x, key_padding_mask=pad)
