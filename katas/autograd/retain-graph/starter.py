"""One training step's backward pass for a model with a shared trunk and two heads."""

import torch
import torch.nn.functional as F
from torch import nn


def backward_both(
    model: nn.Module, x: torch.Tensor, y_a: torch.Tensor, y_b: torch.Tensor
) -> tuple[float, float]:
    """Backpropagate loss_a and loss_b into the parameters; return both losses as floats."""
    h = model.trunk(x)  # the shared, expensive part: run it once
    loss_a = F.mse_loss(model.head_a(h), y_a)
    loss_b = F.cross_entropy(model.head_b(h), y_b)
    # TODO: the second backward raises "Trying to backward through the graph a second time".
    loss_a.backward()
    loss_b.backward()
    return loss_a.item(), loss_b.item()


class TwoHeadNet(nn.Module):
    """A small example model; the checks bring their own with the same attributes."""

    def __init__(self, n_in: int = 8, n_hidden: int = 16, n_a: int = 2, n_b: int = 3) -> None:
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(n_in, n_hidden), nn.Tanh())
        self.head_a = nn.Linear(n_hidden, n_a)
        self.head_b = nn.Linear(n_hidden, n_b)


if __name__ == "__main__":
    model = TwoHeadNet()
    x, y_a, y_b = torch.randn(4, 8), torch.randn(4, 2), torch.tensor([0, 2, 1, 2])
    print("losses:", backward_both(model, x, y_a, y_b))
