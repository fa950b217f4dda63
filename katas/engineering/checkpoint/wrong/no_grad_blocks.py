"""WRONG: runs the blocks under torch.no_grad() to save their activations' memory: nothing is
kept, and nothing can be trained either.
Caught by: gradients equal those of the plain run."""

import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x):
        with torch.no_grad():
            for block in self.blocks:
                x = block(x)
        return x
