"""WRONG: fills hidden scores with -1e9. A padding row returns the mean of v (every score
equal), and float16 cannot hold -1e9, so masked_fill raises.
Caught by: the rows of padding queries are zeros, not NaN (also: float16 inputs work)."""

import math

import torch


def attend(q, k, v, lengths):
    T = q.shape[-2]
    positions = torch.arange(T, device=q.device)
    real = positions >= T - lengths[:, None]
    causal = positions[:, None] >= positions[None, :]
    allowed = causal & real[:, None, None, :]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    weights = scores.masked_fill(~allowed, -1e9).softmax(dim=-1)
    return weights @ v
