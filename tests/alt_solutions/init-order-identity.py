"""Second solution for init-order-identity: in-place updates under torch.no_grad()."""

import torch
import torch.nn.functional as F
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, in_features: int, out_features: int, rank: int) -> None:
        super().__init__()
        self.base = nn.Linear(in_features, out_features)
        self.register_parameter("lora_a", nn.Parameter(torch.empty(rank, in_features)))
        self.register_parameter("lora_b", nn.Parameter(torch.empty(out_features, rank)))
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        bound = self.lora_a.shape[1] ** -0.5
        self.lora_a.uniform_(-bound, bound)
        self.lora_b.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + F.linear(F.linear(x, self.lora_a), self.lora_b)
