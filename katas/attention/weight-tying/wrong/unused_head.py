"""WRONG: computes the logits with F.linear on the embedding matrix and leaves the head's own
weight in place, unused. The logits and the embedding's gradient are right, but head.weight is
a second, dead parameter: it is counted, saved, and decayed by the optimizer, and code that
reads model.head.weight gets a random matrix.
Caught by: parameters() yields the shared matrix once, and head.weight is embed.weight."""

import torch
import torch.nn.functional as F
from torch import nn


class TinyLM(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.mix = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, vocab_size, bias=False)

    def forward(self, tokens):
        return F.linear(torch.tanh(self.mix(self.embed(tokens))), self.embed.weight)
