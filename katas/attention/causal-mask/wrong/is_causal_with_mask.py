"""WRONG: is_causal=True together with the padding mask as attn_mask. The documentation says
this raises; on CPU torch 2.13 the fused kernel happens to combine the two, but the math
kernel (another value size, strided inputs, dropout, other devices) raises.
Caught by: works when v has its own feature size and q is a non-contiguous view."""

import torch
import torch.nn.functional as F


def attend(q, k, v, lengths):
    T = q.shape[-2]
    real_key = torch.arange(T, device=q.device) < lengths[:, None]
    mask = real_key[:, None, None, :]
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=True)
