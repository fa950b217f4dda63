"""A LoRA adapter: a Linear layer plus a trainable low-rank update."""

import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    """``base(x) + x @ lora_a.T @ lora_b.T``; ``lora_a`` is (rank, in), ``lora_b`` (out, rank)."""

    def __init__(self, in_features: int, out_features: int, rank: int) -> None:
        # First: Module.__init__ creates the registries that assigning a module or a
        # Parameter writes into.
        super().__init__()
        self.base = nn.Linear(in_features, out_features)
        self.lora_a = nn.Parameter(torch.empty(rank, in_features))
        self.lora_b = nn.Parameter(torch.empty(out_features, rank))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """A fresh adapter: lora_a uniform in ±1/sqrt(in_features), lora_b zero; base kept."""
        # In place, on the same Parameter objects, so an optimizer holding them stays valid.
        # The nn.init functions run under torch.no_grad(); a=sqrt(5) gives ±1/sqrt(fan_in).
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        nn.init.zeros_(self.lora_b)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.T) @ self.lora_b.T


if __name__ == "__main__":
    model = LoRALinear(16, 8, rank=2)
    trained = list(model.parameters())  # what an optimizer built now would hold
    model.reset_parameters()
    print("optimizer still holds lora_b:", any(p is model.lora_b for p in trained))
