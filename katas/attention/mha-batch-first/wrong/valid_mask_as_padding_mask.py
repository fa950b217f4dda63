"""WRONG: passes the mask of real tokens (True = real, SDPA's convention) as
key_padding_mask, where MultiheadAttention reads True as "ignore". Real tokens attend only to
padding, and a sentence without padding attends to nothing (NaN).
Caught by: real tokens get MultiheadAttention over their own sentence, and x stays
unchanged."""

import torch
from torch import nn


class SelfAttention(nn.Module):
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)

    def forward(self, x, lengths):
        real = torch.arange(x.shape[1], device=x.device) < lengths[:, None]
        out, _ = self.attn(x, x, x, key_padding_mask=real)
        return out
