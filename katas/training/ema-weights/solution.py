"""An exponential moving average (EMA) of a model's weights, kept for evaluation."""

import copy

import torch
import torch.nn.functional as F
from torch import nn


class EMA:
    """``ema = EMA(model, decay)``; ``ema.update(model)`` after every optimizer step;
    evaluate with ``ema.module``."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        # the averaged copy, starting as the model: its own tensors, not the model's
        self.module = copy.deepcopy(model)

    def update(self, model: nn.Module) -> None:
        """Move the average toward the model's current state."""
        # no_grad: in-place updates of tensors, recorded by no graph
        with torch.no_grad():
            for ema_p, p in zip(self.module.parameters(), model.parameters(), strict=True):
                ema_p.mul_(self.decay).add_(p, alpha=1 - self.decay)
            # buffers (BatchNorm's running statistics and its int64 batch counter) are
            # statistics of the data, not weights: copy them, do not average them
            for ema_b, b in zip(self.module.buffers(), model.buffers(), strict=True):
                ema_b.copy_(b)


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
    x = torch.randn(256, 4) * 3 + 5  # features far from mean 0, variance 1
    y = x.sum(dim=1, keepdim=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    ema = EMA(model, decay=0.9)
    ema.update(model)
    for _ in range(20):
        for xb, yb in zip(x.split(32), y.split(32), strict=True):
            model.train()
            optimizer.zero_grad()
            F.mse_loss(model(xb), yb).backward()
            optimizer.step()
            ema.update(model)
    model.eval()
    ema.module.eval()
    with torch.no_grad():
        print(f"model loss {F.mse_loss(model(x), y).item():.3f}")
        print(f"EMA loss   {F.mse_loss(ema.module(x), y).item():.3f}")
        print("model running_mean[:4]", model[1].running_mean[:4])
        print("EMA running_mean[:4]  ", ema.module[1].running_mean[:4])
