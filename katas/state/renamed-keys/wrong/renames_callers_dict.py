"""WRONG: an override of load_state_dict that renames the keys in the caller's own dict:
the caller's checkpoint is changed behind its back (and nested loading never calls it).
Caught by: load_state_dict leaves the caller's dict unchanged."""

from typing import Any

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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        for key in [k for k in state_dict if k.startswith("fc.")]:
            state_dict["head." + key[3:]] = state_dict.pop(key)
        return super().load_state_dict(state_dict, strict=strict, assign=assign)
