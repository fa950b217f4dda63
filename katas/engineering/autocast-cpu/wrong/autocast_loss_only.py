"""WRONG: autocast around the loss only: the model's layers already ran, in float32.
Caught by: the Linear layers compute in bfloat16."""

import torch
import torch.nn.functional as F


def compute_loss(model, x, labels):
    logits = model(x)
    with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):
        return F.cross_entropy(logits, labels)


def train_step(model, x, labels, lr):
    model.zero_grad()
    loss = compute_loss(model, x, labels)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss.item()
