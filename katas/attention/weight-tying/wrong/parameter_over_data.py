"""WRONG: wraps the embedding's data in a new Parameter. The two weights share storage at
first, but they are two Parameter objects: parameters() yields both, each gets its own share of
the gradient, and .double(), .to() or deepcopy give each a tensor of its own.
Caught by: parameters() yields the shared matrix once, and head.weight is embed.weight (also:
the gradient, .double() and deepcopy, load_state_dict)."""

import torch
from torch import nn


class TinyLM(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.mix = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, vocab_size, bias=False)
        self.head.weight = nn.Parameter(self.embed.weight.data)

    def forward(self, tokens):
        return self.head(torch.tanh(self.mix(self.embed(tokens))))
