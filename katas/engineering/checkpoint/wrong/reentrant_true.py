"""WRONG: use_reentrant=True: the reentrant version tracks gradients only through the tensors
passed to checkpoint. When x is a batch of data, no block's parameters get a gradient.
Caught by: every block's parameters get gradients when the input does not require grad."""

from torch.utils.checkpoint import checkpoint
from torch import nn


class Encoder(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x):
        for block in self.blocks:
            x = checkpoint(block, x, use_reentrant=True)
        return x
