"""WRONG: builds, but reset_parameters() assigns brand-new nn.Parameter objects: the model
computes with them while an optimizer built before the reset keeps stepping the old ones.
Caught by: reset_parameters() keeps the same Parameter objects (also: an optimizer built
before reset_parameters() still trains the model)."""

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
        self.lora_a = nn.Parameter(torch.empty_like(self.lora_a).uniform_(-bound, bound))
        self.lora_b = nn.Parameter(torch.zeros_like(self.lora_b))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.T) @ self.lora_b.T
