"""WRONG: MultiheadAttention without batch_first=True, and the padding mask transposed to
silence the shape error it then raises. The (B, T, E) input is read as (T, B, E): each token
attends to the tokens at the same position in the other sentences.
Caught by: each sentence's output is the same as when it runs alone (also: real tokens get
MultiheadAttention over their own sentence, and x stays unchanged)."""

import torch
from torch import nn


class SelfAttention(nn.Module):
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dim, num_heads)

    def forward(self, x, lengths):
        pad = torch.arange(x.shape[1], device=x.device) >= lengths[:, None]
        out, _ = self.attn(x, x, x, key_padding_mask=pad.T)
        return out
