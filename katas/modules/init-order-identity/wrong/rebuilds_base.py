"""WRONG: the adapter is reset in place, but the reset also rebuilds the base layer: the
pretrained weights are lost, and base.weight and base.bias are new objects the optimizer
does not hold.
Caught by: reset_parameters() zeroes lora_b, redraws lora_a in ±1/sqrt(in_features), keeps base
(also: reset_parameters() keeps the same Parameter objects)."""

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
        in_features = self.lora_a.shape[1]
        self.base = nn.Linear(in_features, self.lora_b.shape[0], device=self.lora_a.device)
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        nn.init.zeros_(self.lora_b)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.T) @ self.lora_b.T
