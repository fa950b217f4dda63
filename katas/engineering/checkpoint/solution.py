"""A deep encoder that trains out of memory: its blocks' activations all wait for backward."""

from collections.abc import Iterable

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint


class Encoder(nn.Module):
    """A stack of blocks, each applied to the previous one's output."""

    def __init__(self, blocks: Iterable[nn.Module]) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            # Each block on its own: between forward and backward only its input is kept;
            # backward reruns the block, just before going back through it.
            # use_reentrant=False: gradients reach the block's parameters even when x does
            # not require grad, and the default (still the old reentrant one) warns.
            # preserve_rng_state (on by default) replays the same dropout masks.
            x = checkpoint(block, x, use_reentrant=False)
        return x


class Block(nn.Module):
    """A residual MLP block, as in a transformer."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mlp(x)


if __name__ == "__main__":
    saved = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        global saved
        saved += t.numel() * t.element_size()
        return t

    encoder = Encoder(Block(256) for _ in range(8))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = encoder(torch.randn(64, 256))
    print(f"kept for backward: {saved / 2**20:.1f} MB")
    out.sum().backward()
