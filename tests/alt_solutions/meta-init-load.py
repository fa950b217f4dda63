"""A second solution for meta-init-load: build under torch.set_default_device("meta"),
put each checkpoint tensor in place as an nn.Parameter by hand, and register the mask anew
on the weights' device."""

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
    previous = torch.get_default_device()
    torch.set_default_device("meta")
    try:
        model = TinyLM(vocab_size, dim, max_len)
    finally:
        torch.set_default_device(previous)
    if set(state_dict) != {name for name, _ in model.named_parameters()}:
        raise KeyError(f"checkpoint keys {sorted(state_dict)} do not match the model")
    for key, value in state_dict.items():
        owner, _, name = key.rpartition(".")
        # nn.Parameter(value) shares value's memory: no copy is made
        setattr(model.get_submodule(owner), name, nn.Parameter(value))
    device = model.qkv.weight.device
    model.register_buffer("mask", causal_mask(max_len, device), persistent=False)
    return model
