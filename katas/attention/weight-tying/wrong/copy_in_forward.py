"""WRONG: copies the embedding's values into the head at every forward pass. The logits are
right, but there are two parameters: the head's share of the gradient never reaches the
embedding, and the optimizer keeps a useless second matrix.
Caught by: parameters() yields the shared matrix once, and head.weight is embed.weight (also:
the gradient)."""

import torch
from torch import nn


class TinyLM(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.mix = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, vocab_size, bias=False)

    def forward(self, tokens):
        with torch.no_grad():
            self.head.weight.copy_(self.embed.weight)
        return self.head(torch.tanh(self.mix(self.embed(tokens))))
