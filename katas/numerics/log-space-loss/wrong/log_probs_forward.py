"""WRONG: makes forward return log-probabilities, so the loss is right, but the serving code
now shows users negative numbers instead of probabilities.
Caught by: Classifier(n_in, n_classes)(x) still returns probabilities, softmax(logits)."""

import torch
import torch.nn.functional as F
from torch import nn


class Classifier(nn.Module):
    def __init__(self, n_in: int, n_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(n_in, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.linear(x), dim=-1)


def training_loss(model: Classifier, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.nll_loss(model(x), y)
