"""WRONG: scales q in place (q.mul_) before the product, which overwrites the caller's q
(and raises for a leaf that requires grad). The masking itself is right.
Caught by: attend equals a loop over query rows, in float32 and float64, and leaves its
inputs alone."""

import math

import torch


def attend(q, k, v, lengths):
    T = q.shape[-2]
    positions = torch.arange(T, device=q.device)
    real = positions >= T - lengths[:, None]
    causal = positions[:, None] >= positions[None, :]
    allowed = causal & real[:, None, None, :]
    q = q.mul_(1 / math.sqrt(q.shape[-1]))
    scores = q @ k.transpose(-2, -1)
    weights = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min).softmax(dim=-1)
    return (weights * allowed) @ v
