"""mha-batch-first, second solution: the default (T, B, E) layout, with the input
transposed in and the output transposed back, and a float key_padding_mask (-inf at pads)."""

import torch
from torch import nn


class SelfAttention(nn.Module):
    def __init__(self, embed_dim: int, num_heads: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dim, num_heads)  # expects (T, B, E)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        tokens = torch.arange(x.shape[1], device=x.device)
        real = tokens[None, :] < lengths[:, None]
        pad = torch.zeros(real.shape, dtype=x.dtype, device=x.device)
        pad = pad.masked_fill(~real, float("-inf"))  # added to the scores of padded keys
        seq_first = x.transpose(0, 1)
        out, _ = self.attn(seq_first, seq_first, seq_first, key_padding_mask=pad)
        return out.transpose(0, 1)
