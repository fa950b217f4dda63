"""Causal attention for a left-padded batch with F.scaled_dot_product_attention.

SDPA takes a boolean mask where True means "may attend". On the CPU of torch 2.13 a query row
whose keys are all hidden comes back as zeros, with finite gradients. The mask is built from
the query and key positions directly, as one (B, 1, T, T) comparison.
"""

import torch
import torch.nn.functional as F


def attend(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, lengths: torch.Tensor
) -> torch.Tensor:
    """Causal attention over left-padded sequences; padding query rows are zeros."""
    T = q.shape[-2]
    query = torch.arange(T, device=q.device).view(1, 1, T, 1)
    key = torch.arange(T, device=q.device).view(1, 1, 1, T)
    first_real = (T - lengths).view(-1, 1, 1, 1)
    allowed = (key <= query) & (key >= first_real)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
