"""WRONG: a conversion helper outside the module: it renames correctly, but loaders that
call model.load_state_dict directly (every evaluation script, every larger model) never
run it.
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


class Classifier(nn.Module):
    def __init__(self, dim: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.body = MLP(dim, hidden)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def upgrade_checkpoint(state_dict: dict[str, Any]) -> dict[str, Any]:
    """Old checkpoints: call this before load_state_dict."""
    return {
        ("head." + key[3:] if key.startswith("fc.") else key): value
        for key, value in state_dict.items()
    }
