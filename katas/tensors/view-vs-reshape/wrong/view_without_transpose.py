"""WRONG: drops the transpose so that view() stops complaining. It runs on contiguous input
and returns the right shape, but flattens memory in (B, H, T, D) order: row t of the result
holds pieces of several tokens of one head.
Caught by: merge_heads(x)[b, t, h*D + d] equals x[b, h, t, d] (and it still raises on
non-contiguous x)."""

import torch


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    batch, tokens, width = x.shape
    return x.view(batch, tokens, n_heads, width // n_heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    batch, n_heads, tokens, head_dim = x.shape
    return x.view(batch, tokens, n_heads * head_dim)
