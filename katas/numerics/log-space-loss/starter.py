"""A classifier that serves probabilities, and the loss it trains with."""

import torch
import torch.nn.functional as F
from torch import nn


class Classifier(nn.Module):
    """A linear classifier: (batch, n_in) -> class probabilities (batch, n_classes)."""

    def __init__(self, n_in: int, n_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(n_in, n_classes)  # computes the logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class probabilities, for inference."""
        return F.softmax(self.linear(x), dim=-1)


def training_loss(model: Classifier, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The mean negative log-likelihood of the labels y under the model."""
    # TODO: inf once the model is confident.
    return F.nll_loss(model(x).log(), y)


if __name__ == "__main__":
    torch.manual_seed(0)
    model = Classifier(4, 3)
    with torch.no_grad():
        model.linear.weight.mul_(300)  # a confident model: logits far apart
    x, y = torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1])
    print("logits:", model.linear(x)[0].tolist())
    print("loss:", training_loss(model, x, y).item())
    print("should be:", F.cross_entropy(model.linear(x), y).item())
