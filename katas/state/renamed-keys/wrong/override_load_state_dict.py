"""WRONG: renames in an override of load_state_dict: right when the Classifier itself is
loaded, but a module that contains it calls only its own load_state_dict, never the
Classifier's.
Caught by: an old checkpoint loads into modules that contain Classifiers (prefixes 0.,
members.N.)."""

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
        renamed = {
            ("head." + key[3:] if key.startswith("fc.") else key): value
            for key, value in state_dict.items()
        }
        return super().load_state_dict(renamed, strict=strict, assign=assign)
