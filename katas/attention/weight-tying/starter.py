"""A small language model whose output layer shares the token embedding's matrix."""

import torch
from torch import nn


class TinyLM(nn.Module):
    """Token ids of any shape (...) to logits of shape (..., vocab_size)."""

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)  # weight: (vocab_size, dim)
        self.mix = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, vocab_size, bias=False)  # weight: (vocab_size, dim) too
        # TODO: the head should use the embedding's matrix. This makes the two weights share
        # their numbers, but they are still two parameters.
        self.head.weight.data = self.embed.weight.data

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.mix(self.embed(tokens))))


if __name__ == "__main__":
    model = TinyLM(vocab_size=1000, dim=64)
    count = sum(p.numel() for p in model.parameters())
    print(f"{count} parameters (a tied model has {1000 * 64 + 64 * 64 + 64})")
    model = model.double()  # as model.to("cuda") does
    print("still shared after .double():", model.head.weight is model.embed.weight)
