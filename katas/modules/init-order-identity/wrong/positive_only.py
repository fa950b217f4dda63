"""WRONG: draws lora_a uniformly from [0, 1/sqrt(in_features)) (torch.rand scaled): within the
bound, but never negative, where the description asks for the whole range ±1/sqrt(in_features).
Caught by: reset_parameters() draws lora_a uniformly over ±1/sqrt(in_features)."""

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

    @torch.no_grad()
    def reset_parameters(self) -> None:
        self.lora_a.copy_(torch.rand_like(self.lora_a) / math.sqrt(self.lora_a.shape[1]))
        self.lora_b.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.T) @ self.lora_b.T
