"""Causal self-attention with a key/value cache, for generating text a few tokens at a time."""

import torch
import torch.nn.functional as F
from torch import nn

Cache = tuple[torch.Tensor, torch.Tensor]


class Attention(nn.Module):
    """Multi-head causal self-attention over x of shape (B, T, dim)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, cache: Cache | None = None) -> tuple[torch.Tensor, Cache]:
        """x: the new tokens, (B, T, dim). cache: the keys and values of every token before
        them, each (B, heads, T_past, dim // heads), or None at the start. Returns the output
        for the new tokens, (B, T, dim), and the cache of all tokens so far."""
        B, T, dim = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        if cache is not None:
            # new tensors: the caller's cache stays as it was
            k = torch.cat([cache[0], k], dim=2)
            v = torch.cat([cache[1], v], dim=2)
        past = k.shape[2] - T
        # New token i sits at position past + i, so it sees keys 0 .. past + i: the causal
        # diagonal shifted right by the cache length (is_causal=True would align it top-left,
        # as if the new tokens came first).
        allowed = torch.ones(T, past + T, dtype=torch.bool, device=x.device).tril(diagonal=past)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        return self.out(y.transpose(1, 2).reshape(B, T, dim)), (k, v)


if __name__ == "__main__":
    torch.manual_seed(0)
    layer = Attention(dim=8, heads=2)
    x = torch.randn(1, 6, 8)
    full, _ = layer(x)
    for chunks in [(1, 1, 1, 1, 1, 1), (3, 1, 2)]:
        outs, cache, start = [], None, 0
        for n in chunks:
            out, cache = layer(x[:, start : start + n], cache)
            outs.append(out)
            start += n
        error = (torch.cat(outs, dim=1) - full).abs().max().item()
        print(f"chunks {chunks}: largest difference from the full pass {error:.2g}")
