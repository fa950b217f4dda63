"""WRONG: transpose_() (trailing underscore) transposes the caller's tensor in place, so x
has shape (B, T, H, D) after the call. The values returned are right.
Caught by: merge_heads(x)[b, t, h*D + d] equals x[b, h, t, d] (x changed in place)."""

import torch


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    batch, tokens, width = x.shape
    return x.view(batch, tokens, n_heads, width // n_heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    batch, n_heads, tokens, head_dim = x.shape
    return x.transpose_(1, 2).reshape(batch, tokens, n_heads * head_dim)
