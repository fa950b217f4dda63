"""WRONG: scales by 1/sqrt(H * D), the model width (d_model), as in single-head attention,
instead of 1/sqrt(D), the size of one head.
Caught by: the scores are q·k scaled by 1/√D, D the size of one head."""

import math

import torch


def attention_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    width = q.shape[2] * q.shape[3]
    return torch.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(width)
