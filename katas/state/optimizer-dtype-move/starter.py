"""Switch a resumed run to another dtype or device, optimizer state included."""

import torch
import torch.nn.functional as F
from torch import nn


def convert(
    model: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device, dtype: torch.dtype
) -> None:
    """Move ``model`` to ``device`` and ``dtype``; ``optimizer`` must go on training it."""
    model.to(device=device, dtype=dtype)
    # TODO: the next optimizer.step() fails for Adam. What else holds tensors per parameter?


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = torch.randn(4, 3), torch.randn(4, 2)
    for _ in range(2):  # the run so far, in float32
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        optimizer.step()
    convert(model, optimizer, torch.device("cpu"), torch.float64)
    optimizer.zero_grad()
    F.mse_loss(model(x.double()), y.double()).backward()
    optimizer.step()
    for key, value in optimizer.state[model.weight].items():
        print(f"{key}: {value.dtype}")
