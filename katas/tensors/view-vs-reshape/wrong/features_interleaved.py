"""WRONG: permutes to (B, T, D, H) instead of (B, T, H, D), so the merged features are
interleaved (head 0 feature 0, head 1 feature 0, ...) instead of one head after another.
The output projection's weights expect head-major order.
Caught by: merge_heads(x)[b, t, h*D + d] equals x[b, h, t, d]."""

import torch


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    batch, tokens, width = x.shape
    return x.view(batch, tokens, n_heads, width // n_heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    batch, n_heads, tokens, head_dim = x.shape
    return x.permute(0, 2, 3, 1).reshape(batch, tokens, n_heads * head_dim)
