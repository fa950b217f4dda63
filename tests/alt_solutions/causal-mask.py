"""causal-mask, second solution: an additive float mask (0 where allowed, -inf elsewhere),
built from index comparisons instead of tril."""

import torch
import torch.nn.functional as F


def attend(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, lengths: torch.Tensor
) -> torch.Tensor:
    T = q.shape[-2]
    pos = torch.arange(T, device=q.device)
    query, key = pos[:, None], pos[None, :]
    allowed = (key <= query) & (key < lengths[:, None, None, None])  # (B, 1, T, T)
    bias = torch.zeros(allowed.shape, dtype=q.dtype, device=q.device)
    bias = bias.masked_fill(~allowed, float("-inf"))
    return F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
