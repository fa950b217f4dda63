"""RoPE with interleaved channel pairs, as complex numbers (the original LLaMA code's way).

Channels (2i, 2i + 1) form one complex number, turned by multiplying with exp(1j * angle).
This pairs other channels than the half-split ``rope`` of the kata: the checks test
properties (offsets, norms, relative positions, cached decoding against the full pass), so
both pairings pass. The cache keeps rotated keys; the offset is the cached length.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention.bias import causal_lower_right

Cache = tuple[torch.Tensor, torch.Tensor]


def rope(x: torch.Tensor, offset: int = 0) -> torch.Tensor:
    """Rotate x (..., T, D) at the positions offset .. offset + T-1, channels paired (2i, 2i+1)."""
    steps, width = x.shape[-2], x.shape[-1]
    real = torch.float64 if x.dtype == torch.float64 else torch.float32
    freqs = 1.0 / 10000.0 ** (torch.arange(0, width, 2, device=x.device, dtype=real) / width)
    positions = offset + torch.arange(steps, device=x.device, dtype=real)
    turns = torch.polar(
        torch.ones(steps, width // 2, device=x.device, dtype=real), torch.outer(positions, freqs)
    )
    pairs = torch.view_as_complex(x.to(real).unflatten(-1, (-1, 2)).contiguous())
    return torch.view_as_real(pairs * turns).flatten(-2).to(x.dtype)


class Attention(nn.Module):
    """Multi-head causal self-attention with RoPE over x of shape (B, T, dim)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, cache: Cache | None = None) -> tuple[torch.Tensor, Cache]:
        steps = x.shape[1]
        q, k, v = (
            part.unflatten(-1, (self.heads, -1)).transpose(1, 2)
            for part in self.qkv(x).chunk(3, dim=-1)
        )
        past_k, past_v = cache if cache is not None else (k[:, :, :0], v[:, :, :0])
        offset = past_k.shape[-2]
        k = torch.cat([past_k, rope(k, offset)], dim=-2)
        v = torch.cat([past_v, v], dim=-2)
        bias = causal_lower_right(steps, k.shape[-2])
        y = F.scaled_dot_product_attention(rope(q, offset), k, v, attn_mask=bias)
        return self.out(y.transpose(1, 2).flatten(2)), (k, v)
