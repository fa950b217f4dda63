"""WRONG: "->bhkq" returns the transposed scores, (B, H, Tk, Tq). For self-attention the
shape is even right, and softmax over the last axis then normalises over queries.
Caught by: attention_scores(q, k) has shape (B, H, Tq, Tk) (and the value checks)."""

import math

import torch


def attention_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    return torch.einsum("bqhd,bkhd->bhkq", q, k) / math.sqrt(q.shape[-1])
