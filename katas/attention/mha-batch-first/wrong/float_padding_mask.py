"""WRONG: the right padding mask converted to 0/1 floats. A float key_padding_mask is added
to the scores, so padded keys get +1 and are attended to more, not less.
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
        out, _ = self.attn(x, x, x, key_padding_mask=pad.float())
        return out
