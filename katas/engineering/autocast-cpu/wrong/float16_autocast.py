"""WRONG: autocast to float16 instead of bfloat16: float16's narrow range needs a GradScaler
against underflowing gradients, which this step does not have.
Caught by: the Linear layers compute in bfloat16."""

import torch
import torch.nn.functional as F


def compute_loss(model, x, labels):
    with torch.autocast(device_type=x.device.type, dtype=torch.float16):
        logits = model(x)
    return F.cross_entropy(logits.float(), labels)


def train_step(model, x, labels, lr):
    model.zero_grad()
    loss = compute_loss(model, x, labels)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss.item()
