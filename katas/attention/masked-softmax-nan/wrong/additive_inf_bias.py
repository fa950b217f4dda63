"""WRONG: masks with an additive bias of -inf (0 where allowed). A padding query's row is
all -inf, and softmax gives 0 / 0 = NaN.
Caught by: the rows of padding queries are zeros, not NaN."""

import math

import torch


def attend(q, k, v, lengths):
    T = q.shape[-2]
    positions = torch.arange(T, device=q.device)
    real = positions >= T - lengths[:, None]
    causal = positions[:, None] >= positions[None, :]
    allowed = causal & real[:, None, None, :]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    bias = torch.zeros_like(scores).masked_fill(~allowed, float("-inf"))
    return (scores + bias).softmax(dim=-1) @ v
