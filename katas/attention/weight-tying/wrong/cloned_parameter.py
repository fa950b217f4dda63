"""WRONG: gives the head a copy of the embedding matrix. The logits are right until the first
optimizer step; from then on the two matrices train apart.
Caught by: logits are tanh(mix(embed(tokens))) @ embed.weight.T, also after embed.weight
changes (also: counted once, the gradient)."""

import torch
from torch import nn


class TinyLM(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.mix = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, vocab_size, bias=False)
        self.head.weight = nn.Parameter(self.embed.weight.clone())

    def forward(self, tokens):
        return self.head(torch.tanh(self.mix(self.embed(tokens))))
