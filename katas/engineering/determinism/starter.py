"""Reproducible training runs: the same seed must give the same run, bit for bit."""

import random

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

torch.backends.cudnn.benchmark = True  # let cuDNN time its kernels and keep the fastest


def seed_everything(seed: int) -> None:
    """Make every later random draw, and torch's choice of kernels, repeat for the same seed."""
    # TODO: two runs with the same seed still end with different weights
    torch.manual_seed(seed)


def train(
    x: torch.Tensor, y: torch.Tensor, seed: int, steps: int = 6, batch_size: int = 4
) -> tuple[dict[str, torch.Tensor], list[float]]:
    """Train a fresh MLP on (x, y); return its final state_dict and the loss of every step."""
    model = nn.Sequential(
        nn.Linear(x.shape[1], 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, y.shape[1])
    ).to(x.device)
    seed_everything(seed)
    losses = []
    for _ in range(steps):
        rows = random.sample(range(len(x)), batch_size)  # a random mini-batch
        jitter = np.random.normal(0.0, 0.05, size=(batch_size, x.shape[1]))  # augmentation
        xb = x[rows] + torch.as_tensor(jitter, dtype=x.dtype, device=x.device)
        loss = F.mse_loss(model(xb), y[rows])
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= 0.05 * p.grad
        losses.append(loss.item())
    return {name: t.detach().clone() for name, t in model.state_dict().items()}, losses


if __name__ == "__main__":
    x, y = torch.randn(10, 5), torch.randn(10, 3)
    (first, losses_1), (second, losses_2) = train(x, y, seed=3), train(x, y, seed=3)
    print("losses, run 1:", [round(v, 4) for v in losses_1])
    print("losses, run 2:", [round(v, 4) for v in losses_2])
    for name in first:
        print(f"{name:>10}: {'same' if torch.equal(first[name], second[name]) else 'DIFFERENT'}")
