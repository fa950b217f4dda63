"""WRONG: fills hidden scores with finfo.min. No NaN, but in a row where every key is hidden
all scores are equal, so softmax weighs every key the same: a padding row returns the mean of
v instead of zeros.
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
    weights = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min).softmax(dim=-1)
    return weights @ v
