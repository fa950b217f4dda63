"""WRONG: a load pre-hook that ignores `prefix` and looks for "fc.weight" itself: right at
the top level; nested, the keys read "0.fc.weight", the hook renames nothing, and loading
fails.
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


def _rename(module: nn.Module, state_dict: dict[str, Any], prefix: str, *args: Any) -> None:
    for name in ("weight", "bias"):
        if f"fc.{name}" in state_dict:
            state_dict[f"head.{name}"] = state_dict.pop(f"fc.{name}")


class Classifier(nn.Module):
    def __init__(self, dim: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.body = MLP(dim, hidden)
        self.head = nn.Linear(dim, classes)
        self.register_load_state_dict_pre_hook(_rename)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))
