"""WRONG: seed_everything is right, but train builds the model before calling it: the initial
weights come from whatever state torch's generator was left in, so each run starts elsewhere.
Caught by: two train runs with the same seed end bitwise equal."""

import os
import random

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

torch.backends.cudnn.benchmark = True


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False


def train(x, y, seed, steps=6, batch_size=4):
    model = nn.Sequential(
        nn.Linear(x.shape[1], 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, y.shape[1])
    ).to(x.device)
    seed_everything(seed)
    losses = []
    for _ in range(steps):
        rows = random.sample(range(len(x)), batch_size)
        jitter = np.random.normal(0.0, 0.05, size=(batch_size, x.shape[1]))
        xb = x[rows] + torch.as_tensor(jitter, dtype=x.dtype, device=x.device)
        loss = F.mse_loss(model(xb), y[rows])
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= 0.05 * p.grad
        losses.append(loss.item())
    return {name: t.detach().clone() for name, t in model.state_dict().items()}, losses
