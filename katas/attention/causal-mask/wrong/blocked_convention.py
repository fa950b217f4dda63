"""WRONG: the whole mask in the "True = blocked" convention (future or padding), as for
key_padding_mask. SDPA reads True as "may attend", so each token sees exactly the keys it
must not see.
Caught by: each real token attends to itself and the tokens before it, and q, k, v stay
unchanged."""

import torch
import torch.nn.functional as F


def attend(q, k, v, lengths):
    T = q.shape[-2]
    real_key = torch.arange(T, device=q.device) < lengths[:, None]
    future = torch.triu(torch.ones(T, T, dtype=torch.bool, device=q.device), 1)
    blocked = future | ~real_key[:, None, None, :]
    return F.scaled_dot_product_attention(q, k, v, attn_mask=blocked)
