"""WRONG: preserve_rng_state=False "to save time": the recomputation during backward draws new
dropout masks, so the gradients belong to a forward pass that never happened.
Caught by: gradients equal those of the plain run."""

from torch.utils.checkpoint import checkpoint
from torch import nn


class Encoder(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x):
        for block in self.blocks:
            x = checkpoint(block, x, use_reentrant=False, preserve_rng_state=False)
        return x
