"""WRONG: torch.triu(ones, 1) as the causal part: True above the diagonal marks the future,
which is "masked" in the key_padding_mask convention, but SDPA reads True as "may attend".
Every token sees only the tokens after it; the last real token sees nothing.
Caught by: each real token attends to itself and the tokens before it, and q, k, v stay
unchanged."""

import torch
import torch.nn.functional as F


def attend(q, k, v, lengths):
    T = q.shape[-2]
    real_key = torch.arange(T, device=q.device) < lengths[:, None]
    future = torch.triu(torch.ones(T, T, dtype=torch.bool, device=q.device), 1)
    mask = future & real_key[:, None, None, :]
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
