"""A classifier whose output layer was renamed from `fc` to `head`."""

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


class Classifier(nn.Module):
    def __init__(self, dim: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.body = MLP(dim, hidden)
        self.head = nn.Linear(dim, classes)  # called `fc` until this release
        # TODO: checkpoints saved before the rename (keys `fc.weight`, `fc.bias`) must
        # still load with model.load_state_dict, strictly, wherever the model sits.

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


if __name__ == "__main__":
    old = Classifier(8, 16, 3).state_dict()
    old = {("fc." + k[5:] if k.startswith("head.") else k): v for k, v in old.items()}
    print("old checkpoint keys:", list(old))
    Classifier(8, 16, 3).load_state_dict(old)
    nn.Sequential(Classifier(8, 16, 3)).load_state_dict({"0." + k: v for k, v in old.items()})
    print("old checkpoints load, at the top and nested")
