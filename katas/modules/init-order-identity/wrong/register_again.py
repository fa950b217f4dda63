"""WRONG: register_parameter() in the reset does not update the registered tensor, it
registers a new object under the old name, exactly like assigning a new nn.Parameter.
Caught by: reset_parameters() keeps the same Parameter objects."""

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
        rank, in_features = self.lora_a.shape
        fresh_a = torch.empty(rank, in_features, device=self.lora_a.device)
        nn.init.kaiming_uniform_(fresh_a, a=math.sqrt(5))
        self.register_parameter("lora_a", nn.Parameter(fresh_a))
        self.register_parameter("lora_b", nn.Parameter(torch.zeros_like(self.lora_b)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.T) @ self.lora_b.T
