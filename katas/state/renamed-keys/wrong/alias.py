"""WRONG: keeps the old name as an alias, self.fc = self.head: the layer is registered
twice, state_dict() saves both fc.* and head.*, and old checkpoints still miss head.*.
Caught by: state_dict() holds only the new names: head.*, never fc.* (also: an old
checkpoint (fc.*) loads strictly into a Classifier)."""

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc = nn.Linear(dim, hidden)
        self.proj = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.proj(F.gelu(self.fc(x)))


class Classifier(nn.Module):
    def __init__(self, dim: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.body = MLP(dim, hidden)
        self.head = nn.Linear(dim, classes)
        self.fc = self.head  # old checkpoints know it as fc

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))
