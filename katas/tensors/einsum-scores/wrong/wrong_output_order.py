"""WRONG: the output subscripts keep the input's order, "->bqhk": the right numbers, laid out
as (B, Tq, H, Tk), so the bias and the softmax that follow act on the wrong axes.
Caught by: attention_scores(q, k) has shape (B, H, Tq, Tk)."""

import math

import torch


def attention_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    return torch.einsum("bqhd,bkhd->bqhk", q, k) / math.sqrt(q.shape[-1])
