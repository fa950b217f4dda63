"""WRONG: ties the weights inside forward, so the tie only exists after the first forward
pass. An optimizer built before it (the usual order) holds the head's own weight, which the
model then drops, and parameters() yields that extra matrix until the first call.
Caught by: parameters() yields the shared matrix once, and head.weight is embed.weight."""

import torch
from torch import nn


class TinyLM(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.mix = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, vocab_size, bias=False)

    def forward(self, tokens):
        self.head.weight = self.embed.weight
        return self.head(torch.tanh(self.mix(self.embed(tokens))))
