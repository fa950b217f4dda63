"""WRONG: keeps the same Parameter objects by assigning fresh tensors to .data: the objects
survive, but the new tensors are float32 on the CPU whatever the model was moved to, so after
model.double() (or .to("cuda")) the reset leaves the adapter in another dtype and device
than the base layer and its input.
Caught by: reset_parameters() keeps each parameter's dtype and device."""

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
        self.lora_a.data = torch.empty(self.lora_a.shape).uniform_(-bound, bound)
        self.lora_b.data = torch.zeros(self.lora_b.shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.T) @ self.lora_b.T
