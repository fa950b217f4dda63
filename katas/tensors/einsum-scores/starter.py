"""Attention scores for q and k in the (batch, tokens, heads, features) layout."""

import math

import torch


def attention_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """q: (B, Tq, H, D), k: (B, Tk, H, D) -> scores: (B, H, Tq, Tk).

    scores[b, h, i, j] = (q[b, i, h, :] · k[b, j, h, :]) / sqrt(D)
    """
    # TODO: matmul works on the last two axes, which here are (H, D): this compares the
    # heads of one token with each other instead of tokens within one head.
    return q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])


if __name__ == "__main__":
    q, k = torch.randn(2, 5, 4, 8), torch.randn(2, 5, 4, 8)
    print("self-attention scores:", attention_scores(q, k).shape, "expected (2, 4, 5, 5)")
    k = torch.randn(2, 7, 4, 8)
    print("cross-attention scores:", attention_scores(q, k).shape, "expected (2, 4, 5, 7)")
