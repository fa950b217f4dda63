"""One training epoch that also reports the epoch's mean loss for the progress log."""

import torch
import torch.nn.functional as F
from torch import nn


def train_epoch(
    model: nn.Module, batches: list[tuple[torch.Tensor, torch.Tensor]], lr: float = 0.1
) -> float:
    """Run one SGD step per (x, y) batch on F.mse_loss(model(x), y).

    Returns the mean of the batch losses, each taken before its step, as a Python float.
    """
    total = 0.0
    for x, y in batches:
        loss = F.mse_loss(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        # .item() is a plain Python number: nothing links it to this batch's graph, which is
        # freed as soon as `loss` is reassigned
        total += loss.item()
    return total / len(batches)


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    batches = [(torch.randn(16, 4), torch.randn(16, 1)) for _ in range(3)]
    mean_loss = train_epoch(model, batches)
    print("returned:", repr(mean_loss))
