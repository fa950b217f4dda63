"""WRONG: a pre-hook that renames with key.replace("fc.", "head.") on every key: the
MLP's own body.fc becomes body.head, which the model does not have.
Caught by: an old checkpoint (fc.*) loads strictly into a Classifier, its fc values in head."""

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
    for key in list(state_dict):
        if "fc." in key:
            state_dict[key.replace("fc.", "head.")] = state_dict.pop(key)


class Classifier(nn.Module):
    def __init__(self, dim: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.body = MLP(dim, hidden)
        self.head = nn.Linear(dim, classes)
        self.register_load_state_dict_pre_hook(_rename)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))
