"""WRONG: fills with -1e9 and zeroes the hidden weights: right in float32 and float64, but
float16 cannot hold -1e9 (its largest magnitude is 65504), so masked_fill raises under mixed
precision.
Caught by: float16 inputs work: a float16 result, finite, zeros in padding rows."""

import math

import torch


def attend(q, k, v, lengths):
    T = q.shape[-2]
    positions = torch.arange(T, device=q.device)
    real = positions >= T - lengths[:, None]
    causal = positions[:, None] >= positions[None, :]
    allowed = causal & real[:, None, None, :]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    weights = scores.masked_fill(~allowed, -1e9).softmax(dim=-1) * allowed
    return weights @ v
