"""WRONG: residual dropout with F.dropout(h, p), whose training argument defaults to True:
it keeps dropping in eval mode.
Caught by: in eval mode, residual dropout is off."""

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    """x + dropout(proj(attention(norm(x)))), for x of shape (B, T, d_model)."""

    def __init__(self, d_model: int, n_heads: int, attn_p: float, resid_p: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.attn_p = attn_p  # dropout on the attention weights
        self.resid_p = resid_p  # dropout on the sublayer's output, before the residual add
        self.norm = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.resid_drop = nn.Dropout(resid_p)  # a module: it follows train() and eval()

    def attention(self, h: torch.Tensor) -> torch.Tensor:
        """Multi-head self-attention of h (B, T, d_model), before the output projection."""
        B, T, d = h.shape
        qkv = self.qkv(h).view(B, T, 3, self.n_heads, d // self.n_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, n_heads, T, head_dim)
        # SDPA is a function: it cannot see the module's mode, so pass 0 outside training
        p = self.attn_p if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        return out.transpose(1, 2).reshape(B, T, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.proj(self.attention(self.norm(x)))
        return x + F.dropout(h, self.resid_p)

