"""WRONG: scales q in place before the product ("saves an allocation"): the scores are right,
but the caller's q is overwritten, divided by sqrt(D) on every call.
Caught by: attention_scores leaves q and k unchanged."""

import math

import torch


def attention_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    q /= math.sqrt(q.shape[-1])
    return torch.einsum("bqhd,bkhd->bhqk", q, k)
