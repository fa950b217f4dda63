"""A training step's backward that also reports the gradient reaching the encoder's output."""

import torch
import torch.nn.functional as F
from torch import nn


def backward_with_feature_grad(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Backpropagate the loss into the parameters; return d loss / d h for h = encoder(x)."""
    h = model.encoder(x)
    loss = F.cross_entropy(model.head(h), y)
    loss.backward()
    # TODO: h.grad is None here (and PyTorch warns about it).
    return h.grad


class Classifier(nn.Module):
    """A small example model; the checks bring their own with the same attributes."""

    def __init__(self, n_in: int = 8, n_hidden: int = 16, n_classes: int = 3) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_in, n_hidden), nn.Tanh())
        self.head = nn.Linear(n_hidden, n_classes)


if __name__ == "__main__":
    model = Classifier()
    x, y = torch.randn(4, 8), torch.tensor([0, 2, 1, 2])
    grad_h = backward_with_feature_grad(model, x, y)
    print("per-sample |dL/dh|:", None if grad_h is None else grad_h.norm(dim=1))
