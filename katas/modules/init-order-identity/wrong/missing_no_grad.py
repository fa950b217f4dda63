"""WRONG: re-initialises in place (same objects), but outside torch.no_grad(): an in-place
change to a leaf that requires grad raises, so LoRALinear(...) fails while building.
Caught by: LoRALinear builds, with parameters base.weight, base.bias, lora_a and lora_b."""

import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, in_features: int, out_features: int, rank: int) -> None:
        super().__init__()
        self.base = nn.Linear(in_features, out_features)
        self.lora_a = nn.Parameter(torch.empty(rank, in_features))
        self.lora_b = nn.Parameter(torch.empty(out_features, rank))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.lora_a.shape[1])
        self.lora_a.uniform_(-bound, bound)
        self.lora_b.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.T) @ self.lora_b.T
