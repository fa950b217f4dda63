"""Resuming a training run: after a restart, training goes on as if it had never stopped."""

import io
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Everything training needs to go on exactly from here, for ``torch.save``."""
    checkpoint = {
        "model": model.state_dict(),
        # Adam's step counts and moment estimates: without them the next update is a first step
        "optimizer": optimizer.state_dict(),
        # where the random stream stands, so dropout draws the masks it would have drawn next
        "cpu_rng": torch.get_rng_state(),
    }
    if torch.cuda.is_available():  # dropout on a GPU draws from the CUDA generators
        checkpoint["cuda_rng"] = torch.cuda.get_rng_state_all()
    return checkpoint


def load_checkpoint(
    checkpoint: dict[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer
) -> None:
    """Put the state saved in ``checkpoint`` back into a freshly built model and optimizer."""
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    torch.set_rng_state(checkpoint["cpu_rng"])
    if "cuda_rng" in checkpoint:
        torch.cuda.set_rng_state_all(checkpoint["cuda_rng"])


if __name__ == "__main__":
    data = torch.Generator().manual_seed(0)
    x, y = torch.randn(4, 8, 6, generator=data), torch.randint(0, 3, (4, 8), generator=data)

    def build() -> tuple[nn.Module, torch.optim.Optimizer]:
        model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
        return model, torch.optim.Adam(model.parameters(), lr=0.01)

    def step(model: nn.Module, optimizer: torch.optim.Optimizer, i: int) -> None:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[i]), y[i])
        loss.backward()
        optimizer.step()
        print(f"  step {i + 1}: loss {loss.item():.8f}")

    print("uninterrupted:")
    torch.manual_seed(0)
    model, optimizer = build()
    for i in range(4):
        step(model, optimizer, i)
    reference = [p.detach().clone() for p in model.parameters()]

    print("2 steps, save, restart, load, 2 steps:")
    torch.manual_seed(0)
    model, optimizer = build()
    for i in range(2):
        step(model, optimizer, i)
    file = io.BytesIO()  # a file on disk, in real life
    torch.save(save_checkpoint(model, optimizer), file)
    torch.manual_seed(1234)  # a new process: fresh objects, another random state
    model, optimizer = build()
    file.seek(0)
    load_checkpoint(torch.load(file), model, optimizer)
    for i in range(2, 4):
        step(model, optimizer, i)
    pairs = zip(model.parameters(), reference, strict=True)
    gap = max((p - r).abs().max().item() for p, r in pairs)
    print("largest weight difference to the uninterrupted run:", gap)
