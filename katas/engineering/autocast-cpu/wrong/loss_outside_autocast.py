"""WRONG: the forward pass under autocast, then the loss on the bfloat16 logits as they are:
outside autocast nothing casts them up, so the cross-entropy is computed in bfloat16.
Caught by: compute_loss returns a float32 scalar loss."""

import torch
import torch.nn.functional as F


def compute_loss(model, x, labels):
    with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):
        logits = model(x)
    return F.cross_entropy(logits, labels)


def train_step(model, x, labels, lr):
    model.zero_grad()
    loss = compute_loss(model, x, labels)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss.item()
