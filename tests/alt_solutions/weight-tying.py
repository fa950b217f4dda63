"""Weight tying with register_parameter, the head built first.

The head's own fresh weight is replaced by the embedding's Parameter object through
``register_parameter``. Because ``head`` is registered before ``embed``, ``named_parameters()``
lists the shared weight under the name ``head.weight``: the checks must not depend on which
name a tie keeps.
"""

import torch
from torch import nn


class TinyLM(nn.Module):
    """Token ids of any shape (...) to logits of shape (..., vocab_size)."""

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        self.head = nn.Linear(dim, vocab_size, bias=False)
        self.mix = nn.Linear(dim, dim)
        self.embed = nn.Embedding(vocab_size, dim)
        self.head.register_parameter("weight", self.embed.weight)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        hidden = torch.tanh(self.mix(self.embed(tokens)))
        return self.head(hidden)
