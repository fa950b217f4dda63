"""Training a classifier in bfloat16 mixed precision, to run faster and use less memory."""

import torch
import torch.nn.functional as F
from torch import nn


def compute_loss(model: nn.Module, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """F.cross_entropy(model(x), labels), with the model's layers computing in bfloat16."""
    # autocast runs matmul-heavy ops (Linear, conv) in bfloat16 on copies of their inputs and
    # weights: the weights themselves stay float32. The device type follows the data, so the
    # same code uses CPU autocast on a CPU and CUDA autocast on a GPU.
    with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):
        logits = model(x)
    # the loss in float32: a log-softmax summed over a batch needs the precision
    return F.cross_entropy(logits.float(), labels)


def train_step(model: nn.Module, x: torch.Tensor, labels: torch.Tensor, lr: float) -> float:
    """One plain SGD step on compute_loss(model, x, labels); returns the loss as a float."""
    model.zero_grad()
    loss = compute_loss(model, x, labels)
    loss.backward()  # outside autocast; the gradients arrive in float32, like the weights
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
