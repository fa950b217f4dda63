"""dropout-placement, second solution: attention written out by hand, with an nn.Dropout
module on the softmax weights, and F.dropout told the mode for the residual branch."""

import math

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    def __init__(self, d_model: int, n_heads: int, attn_p: float, resid_p: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.attn_p = attn_p
        self.resid_p = resid_p
        self.norm = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.weight_drop = nn.Dropout(attn_p)

    def attention(self, h: torch.Tensor) -> torch.Tensor:
        B, T, d = h.shape
        qkv = self.qkv(h).view(B, T, 3, self.n_heads, d // self.n_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
        out = self.weight_drop(weights) @ v
        return out.transpose(1, 2).reshape(B, T, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.proj(self.attention(self.norm(x)))
        return x + F.dropout(branch, self.resid_p, training=self.training)
