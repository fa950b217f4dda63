"""WRONG: autocast around a model converted with model.bfloat16(): the layers compute in
bfloat16 and the loss is float32, but the weights are bfloat16 as well.
Caught by: the model's parameters stay float32."""

import torch
import torch.nn.functional as F


def compute_loss(model, x, labels):
    model.bfloat16()
    with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):
        return F.cross_entropy(model(x), labels)


def train_step(model, x, labels, lr):
    model.zero_grad()
    loss = compute_loss(model, x, labels)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss.item()
