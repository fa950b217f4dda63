"""WRONG: compute_loss is right, but train_step trains a bfloat16 model and converts it back to
float32 after the step: the weights look float32, yet every update smaller than bfloat16's
resolution was rounded away during the step.
Caught by: train_step updates the float32 weights by -lr * grad, however small."""

import torch
import torch.nn.functional as F


def compute_loss(model, x, labels):
    with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):
        logits = model(x)
    return F.cross_entropy(logits.float(), labels)


def train_step(model, x, labels, lr):
    model.bfloat16()  # half the memory during the step
    model.zero_grad()
    loss = compute_loss(model, x, labels)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    model.float()
    return loss.item()
