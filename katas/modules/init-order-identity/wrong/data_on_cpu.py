"""WRONG: keeps the same Parameter objects by assigning fresh tensors of the right dtype to
.data, but made on the CPU: after model.to("cuda") the reset moves the adapter back to the
CPU, away from the base layer and its input.
Caught by: reset_parameters() keeps each parameter's dtype and device (on a CPU, the meta
device stands in for the GPU)."""

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
        a = torch.empty(self.lora_a.shape, dtype=self.lora_a.dtype)
        self.lora_a.data = a.uniform_(-bound, bound)
        self.lora_b.data = torch.zeros(self.lora_b.shape, dtype=self.lora_b.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.T) @ self.lora_b.T
