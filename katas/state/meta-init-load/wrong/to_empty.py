"""WRONG: gives the meta model real memory with to_empty(), then loads: the weights are
allocated a second time and copied, and the mask holds whatever the memory held (True
everywhere under deterministic mode, so every score is -inf and the outputs are NaN).
Caught by: the causal mask is right, and the outputs equal TinyLM's with the same weights
(also: the parameters are the checkpoint's tensors themselves, not copies)."""

import math

import torch
from torch import nn


def causal_mask(max_len: int, device: torch.device | str | None = None) -> torch.Tensor:
    return torch.ones(max_len, max_len, dtype=torch.bool, device=device).triu(1)


class TinyLM(nn.Module):
    def __init__(self, vocab_size: int, dim: int, max_len: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, vocab_size)
        self.register_buffer("mask", causal_mask(max_len), persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens)
        T = tokens.shape[1]
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        scores = scores.masked_fill(self.mask[:T, :T], float("-inf"))
        return self.out(x + scores.softmax(dim=-1) @ v)


def load_model(
    state_dict: dict[str, torch.Tensor], vocab_size: int, dim: int, max_len: int
) -> TinyLM:
    with torch.device("meta"):
        model = TinyLM(vocab_size, dim, max_len)
    device = next(iter(state_dict.values())).device
    model.to_empty(device=device)
    model.load_state_dict(state_dict)
    return model
