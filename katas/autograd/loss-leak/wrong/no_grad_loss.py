"""WRONG: computes the loss under torch.no_grad() "to save memory", as for evaluation. No graph
is built, so there is nothing to leak, but there is nothing to backpropagate either: the
model is never trained (here the step is skipped when there is no gradient).
Caught by: one SGD step per batch, as before."""

import torch
import torch.nn.functional as F


def train_epoch(model, batches, lr=0.1):
    total = 0.0
    for x, y in batches:
        with torch.no_grad():
            loss = F.mse_loss(model(x), y)
        model.zero_grad()
        if loss.requires_grad:
            loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                if p.grad is not None:
                    p -= lr * p.grad
        total += loss.item()
    return total / len(batches)
