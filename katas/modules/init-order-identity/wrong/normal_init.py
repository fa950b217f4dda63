"""WRONG: draws lora_a from a normal distribution with std 0.02 (a common LoRA habit): every
value is within ±1/sqrt(in_features), but they crowd near zero instead of filling the range
uniformly as the description asks.
Caught by: reset_parameters() draws lora_a uniformly over ±1/sqrt(in_features)."""

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
        nn.init.normal_(self.lora_a, std=0.02)
        nn.init.zeros_(self.lora_b)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.T) @ self.lora_b.T
