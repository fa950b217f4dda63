"""WRONG: keeps a history of the loss tensors and averages them at the end: every tensor in
the list holds its batch's graph until the epoch is over.
Caught by: each batch's autograd graph is freed before the next batch."""

import torch
import torch.nn.functional as F


def train_epoch(model, batches, lr=0.1):
    history = []
    for x, y in batches:
        loss = F.mse_loss(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        history.append(loss)
    return sum(history).item() / len(history)
