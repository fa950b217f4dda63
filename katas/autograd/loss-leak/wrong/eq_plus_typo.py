"""WRONG: `total =+ loss.item()` (a typo for +=) assigns +loss.item(): the log shows the last
batch's loss divided by the number of batches.
Caught by: train_epoch returns the mean batch loss as a Python float."""

import torch
import torch.nn.functional as F


def train_epoch(model, batches, lr=0.1):
    total = 0.0
    for x, y in batches:
        loss = F.mse_loss(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        total =+ loss.item()
    return total / len(batches)
