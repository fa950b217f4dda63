"""Switch a resumed run to another dtype or device, optimizer state included."""

import torch
import torch.nn.functional as F
from torch import nn


def convert(
    model: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device, dtype: torch.dtype
) -> None:
    """Move ``model`` to ``device`` and ``dtype``; ``optimizer`` must go on training it."""
    # Module.to changes each parameter's data in place: the Parameter objects, which the
    # optimizer holds, stay the same.
    model.to(device=device, dtype=dtype)
    # The optimizer's per-parameter state (Adam's moments, SGD's momentum buffer) is not
    # part of the model: convert it to match its parameter, keeping its values. Adam's
    # `step` count (a 0-dim tensor) stays as it is, as load_state_dict leaves it.
    for group in optimizer.param_groups:
        for p in group["params"]:
            state = optimizer.state.get(p, {})
            for key, value in state.items():
                if torch.is_tensor(value) and value.is_floating_point() and value.shape == p.shape:
                    state[key] = value.to(device=p.device, dtype=p.dtype)


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
