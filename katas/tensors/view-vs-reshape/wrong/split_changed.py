"""WRONG: merge_heads is fixed, but split_heads was "fixed" too, to a reshape without the
transpose, so that both look alike. It now mixes tokens with heads, and the attention
layer gets garbage, although merge_heads alone is right.
Caught by: split_heads still splits (B, T, H*D) into (B, H, T, D)."""

import torch


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    batch, tokens, width = x.shape
    return x.reshape(batch, n_heads, tokens, width // n_heads)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    batch, n_heads, tokens, head_dim = x.shape
    return x.transpose(1, 2).reshape(batch, tokens, n_heads * head_dim)
