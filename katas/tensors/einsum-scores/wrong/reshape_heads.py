"""WRONG: moves the heads in front with reshape instead of transpose. The shapes come out
right, but reshape keeps the memory order, so each "head" mixes tokens and heads.
Caught by: scores[b, h, i, j] = q[b, i, h] · k[b, j, h] / √D."""

import math

import torch


def attention_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    batch, t_q, heads, dim = q.shape
    t_k = k.shape[1]
    q = q.reshape(batch, heads, t_q, dim)
    k = k.reshape(batch, heads, t_k, dim)
    return q @ k.transpose(-2, -1) / math.sqrt(dim)
