"""WRONG: is_causal=True and no padding mask. Real tokens are right (padding only comes after
them), but padded positions attend to the padding before them.
Caught by: a padded position attends to the real tokens only (also: what sits in the padding
changes no output)."""

import torch
import torch.nn.functional as F


def attend(q, k, v, lengths):
    T = q.shape[-2]
    real_key = torch.arange(T, device=q.device) < lengths[:, None]
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)
