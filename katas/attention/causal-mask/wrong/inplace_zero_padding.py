"""WRONG: zeroes the padded keys and values in place and uses the causal mask alone. This
overwrites the caller's k and v, and a zeroed key still gets a score (0) and a share of the
softmax, so padded positions still attend to padding.
Caught by: each real token attends to itself and the tokens before it, and q, k, v stay
unchanged."""

import torch
import torch.nn.functional as F


def attend(q, k, v, lengths):
    T = q.shape[-2]
    real_key = torch.arange(T, device=q.device) < lengths[:, None]
    pad = ~real_key[:, None, :, None]
    k.masked_fill_(pad, 0.0)
    v.masked_fill_(pad, 0.0)
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)
