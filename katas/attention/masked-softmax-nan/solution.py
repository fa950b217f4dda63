"""Causal self-attention for a left-padded batch, written by hand."""

import math

import torch


def attend(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, lengths: torch.Tensor
) -> torch.Tensor:
    """Causal attention over left-padded sequences.

    q, k, v: (B, H, T, D). lengths: (B,), the number of real tokens in each sequence; they sit
    at the end, after T - length padding tokens. Returns (B, H, T, D), zeros in the rows of
    padding queries.
    """
    T = q.shape[-2]
    positions = torch.arange(T, device=q.device)
    real = positions >= T - lengths[:, None]  # (B, T): True at real tokens
    causal = positions[:, None] >= positions[None, :]  # (T, T): key j <= query i
    allowed = causal & real[:, None, None, :]  # (B, 1, T, T): True where query i may see key j
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    # The most negative finite number of the dtype, not -inf: a row with no allowed key then
    # gets finite (uniform) weights instead of 0 / 0. It fits every dtype, unlike -1e9, which
    # float16 cannot hold.
    weights = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min).softmax(dim=-1)
    # Zero the weights of the hidden keys: a row with no allowed key sums to 0, not to the
    # mean of v. Everything stays finite, so the gradients do too.
    weights = weights * allowed
    return weights @ v


if __name__ == "__main__":
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 1, 4, 3, requires_grad=True) for _ in range(3))
    lengths = torch.tensor([2, 4])  # the first sequence starts with 2 padding tokens
    out = attend(q, k, v, lengths)
    print("sequence 0, feature 0 of each row:", out[0, 0, :, 0].tolist())
    real = (torch.arange(4) >= 4 - lengths[:, None])[:, None, :, None]
    loss = (out * real).sum()  # padding rows are left out of the loss
    loss.backward()
    print("loss:", loss.item())
    for name, t in zip("qkv", (q, k, v), strict=True):
        print(f"NaN in {name}.grad:", t.grad.isnan().any().item())
