"""WRONG: nan_to_num on the output instead of on the weights: the forward values are right,
but the NaN weights have already met v, and backward gives v a NaN gradient (0 * NaN).
Caught by: a loss over the real rows has finite gradients for q, k and v that match the
reference (also: gradcheck)."""

import math

import torch


def attend(q, k, v, lengths):
    T = q.shape[-2]
    positions = torch.arange(T, device=q.device)
    real = positions >= T - lengths[:, None]
    causal = positions[:, None] >= positions[None, :]
    allowed = causal & real[:, None, None, :]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    weights = scores.masked_fill(~allowed, float("-inf")).softmax(dim=-1)
    return (weights @ v).nan_to_num(0.0)
