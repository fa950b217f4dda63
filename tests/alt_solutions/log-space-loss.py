"""A classifier that serves probabilities, and the loss it trains with."""

import torch
import torch.nn.functional as F
from torch import nn


class Classifier(nn.Module):
    """A linear classifier: (batch, n_in) -> class probabilities (batch, n_classes)."""

    def __init__(self, n_in: int, n_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(n_in, n_classes)  # computes the logits

    def log_probs(self, x: torch.Tensor) -> torch.Tensor:
        """Log-probabilities, computed in log space: for training."""
        return F.log_softmax(self.linear(x), dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class probabilities, for inference."""
        return self.log_probs(x).exp()


def training_loss(model: Classifier, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The mean negative log-likelihood of the labels y under the model."""
    return F.nll_loss(model.log_probs(x), y)
