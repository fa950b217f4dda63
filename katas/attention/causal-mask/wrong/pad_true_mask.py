"""WRONG: the padding part in the key_padding_mask style, True at the pads, combined with a
correct causal part. SDPA reads True as "may attend", so real tokens may see only padding.
Caught by: each real token attends to itself and the tokens before it, and q, k, v stay
unchanged."""

import torch
import torch.nn.functional as F


def attend(q, k, v, lengths):
    T = q.shape[-2]
    real_key = torch.arange(T, device=q.device) < lengths[:, None]
    pad = ~real_key  # True where key j is padding, as nn.MultiheadAttention wants it
    causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    mask = causal & pad[:, None, None, :]
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
