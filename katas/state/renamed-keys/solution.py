"""A classifier whose output layer was renamed from `fc` to `head`."""

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    """A residual MLP block. Its `fc` keeps its name."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc = nn.Linear(dim, hidden)
        self.proj = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.proj(F.gelu(self.fc(x)))


def _rename_old_keys(
    module: nn.Module, state_dict: dict[str, Any], prefix: str, *args: Any
) -> None:
    """Before this module loads: `fc.*` keys, saved before the rename, become `head.*`.

    `prefix` is where this module sits in the model being loaded ("" at the top, "0." inside
    an nn.Sequential), and `state_dict` is load_state_dict's own copy, so renaming in place
    leaves the caller's dict alone. Only keys starting with `prefix + "fc."` are this
    module's old head: `body.fc` keeps its name.
    """
    old = prefix + "fc."
    for key in [k for k in state_dict if k.startswith(old)]:
        state_dict[prefix + "head." + key[len(old) :]] = state_dict.pop(key)


class Classifier(nn.Module):
    def __init__(self, dim: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.body = MLP(dim, hidden)
        self.head = nn.Linear(dim, classes)  # called `fc` until this release
        # load_state_dict calls this hook for this module wherever it sits in a model
        self.register_load_state_dict_pre_hook(_rename_old_keys)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


if __name__ == "__main__":
    old = Classifier(8, 16, 3).state_dict()
    old = {("fc." + k[5:] if k.startswith("head.") else k): v for k, v in old.items()}
    print("old checkpoint keys:", list(old))
    Classifier(8, 16, 3).load_state_dict(old)
    nn.Sequential(Classifier(8, 16, 3)).load_state_dict({"0." + k: v for k, v in old.items()})
    print("old checkpoints load, at the top and nested")
