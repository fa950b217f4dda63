"""WRONG: calls .contiguous() before the transpose. x is contiguous already, and the
transpose that follows makes it non-contiguous again, so view() still raises.
Caught by: merge_heads(x)[b, t, h*D + d] equals x[b, h, t, d] (the RuntimeError)."""

import torch


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    batch, tokens, width = x.shape
    return x.view(batch, tokens, n_heads, width // n_heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    batch, n_heads, tokens, head_dim = x.shape
    return x.contiguous().transpose(1, 2).view(batch, tokens, n_heads * head_dim)
