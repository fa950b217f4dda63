"""WRONG: the padding mask broadcast along the query axis, (B, 1, T, 1), instead of the key
axis. Real tokens are right, but padded queries see no key at all and come out as zeros.
Caught by: a padded position attends to the real tokens only."""

import torch
import torch.nn.functional as F


def attend(q, k, v, lengths):
    T = q.shape[-2]
    real_key = torch.arange(T, device=q.device) < lengths[:, None]
    causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    mask = causal & real_key[:, None, :, None]
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
