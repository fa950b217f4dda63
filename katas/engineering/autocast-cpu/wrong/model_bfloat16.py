"""WRONG: converts the model with model.bfloat16() (the loss is taken in float32): the weights
themselves become bfloat16, and updates smaller than 1/256 of a weight round away.
Caught by: the model's parameters stay float32."""

import torch
import torch.nn.functional as F


def compute_loss(model, x, labels):
    model.bfloat16()
    logits = model(x.bfloat16())
    return F.cross_entropy(logits.float(), labels)


def train_step(model, x, labels, lr):
    model.zero_grad()
    loss = compute_loss(model, x, labels)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss.item()
