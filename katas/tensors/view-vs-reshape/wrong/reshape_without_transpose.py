"""WRONG: follows the error message ("Use .reshape(...) instead") by replacing the whole
expression with one reshape, transpose included. No error on any layout, right shape, wrong
values: reshape keeps the (B, H, T, D) element order.
Caught by: merge_heads(x)[b, t, h*D + d] equals x[b, h, t, d]."""

import torch


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    batch, tokens, width = x.shape
    return x.view(batch, tokens, n_heads, width // n_heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    batch, n_heads, tokens, head_dim = x.shape
    return x.reshape(batch, tokens, n_heads * head_dim)
