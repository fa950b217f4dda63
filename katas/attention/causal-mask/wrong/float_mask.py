"""WRONG: the right mask turned into 0/1 floats. SDPA adds a float mask to the scores, so
allowed keys get +1 and the future and the padding stay visible.
Caught by: each real token attends to itself and the tokens before it, and q, k, v stay
unchanged."""

import torch
import torch.nn.functional as F


def attend(q, k, v, lengths):
    T = q.shape[-2]
    real_key = torch.arange(T, device=q.device) < lengths[:, None]
    causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    mask = (causal & real_key[:, None, None, :]).to(q.dtype)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
