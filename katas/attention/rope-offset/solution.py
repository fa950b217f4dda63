"""Causal self-attention with rotary position embeddings (RoPE) and a key/value cache."""

import torch
import torch.nn.functional as F
from torch import nn

Cache = tuple[torch.Tensor, torch.Tensor]


def rope(x: torch.Tensor, offset: int = 0) -> torch.Tensor:
    """Rotate x, of shape (..., T, D) with D even, by the positions offset .. offset + T-1.

    At position p, the channel pair (i, i + D/2) turns by the angle p * 10000 ** (-2i / D).
    """
    T, D = x.shape[-2], x.shape[-1]
    dtype = torch.promote_types(x.dtype, torch.float32)  # angles in float32 at least
    freqs = 10000.0 ** (-torch.arange(0, D, 2, device=x.device, dtype=dtype) / D)  # (D/2,)
    # absolute positions: the tokens before x (in the cache) hold 0 .. offset-1
    positions = torch.arange(offset, offset + T, device=x.device, dtype=dtype)
    angles = positions[:, None] * freqs  # (T, D/2)
    cos, sin = angles.cos(), angles.sin()
    first, second = x[..., : D // 2], x[..., D // 2 :]
    rotated = torch.cat([first * cos - second * sin, first * sin + second * cos], dim=-1)
    return rotated.to(x.dtype)


class Attention(nn.Module):
    """Multi-head causal self-attention with RoPE over x of shape (B, T, dim)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, cache: Cache | None = None) -> tuple[torch.Tensor, Cache]:
        """x: the new tokens, (B, T, dim). cache: the keys and values of every token before
        them, or None at the start. Returns the output for the new tokens, (B, T, dim), and
        the cache of all tokens so far."""
        B, T, dim = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        past = 0 if cache is None else cache[0].shape[2]
        # Rotate the new queries and keys at their absolute positions, before they join the
        # cache: cached keys were rotated when they were new, and must not turn again.
        q, k = rope(q, past), rope(k, past)
        if cache is not None:
            k = torch.cat([cache[0], k], dim=2)
            v = torch.cat([cache[1], v], dim=2)
        allowed = torch.ones(T, past + T, dtype=torch.bool, device=x.device).tril(diagonal=past)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        return self.out(y.transpose(1, 2).reshape(B, T, dim)), (k, v)


if __name__ == "__main__":
    torch.manual_seed(0)
    layer = Attention(dim=16, heads=2)
    x = torch.randn(1, 6, 16)
    full, _ = layer(x)
    outs, cache = [], None
    for t in range(6):  # one token at a time, as in generation
        out, cache = layer(x[:, t : t + 1], cache)
        outs.append(out)
    error = (torch.cat(outs, dim=1) - full).abs().amax(dim=-1)
    print("difference from the full pass, per token:", [f"{e:.2g}" for e in error[0].tolist()])
