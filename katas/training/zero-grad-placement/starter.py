"""A classifier trained with a learnable temperature: cross_entropy(logits / temperature, y)."""

import torch
import torch.nn.functional as F
from torch import nn


def fit(
    model: nn.Module,
    temperature: nn.Parameter,
    optimizer: torch.optim.Optimizer,
    batches: list[tuple[torch.Tensor, torch.Tensor]],
) -> None:
    """One optimizer step per (x, y) batch; ``optimizer`` holds the model and the temperature."""
    for x, y in batches:
        # TODO: each step must use this batch's gradient alone, the temperature's included.
        loss = F.cross_entropy(model(x) / temperature, y)
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 4))
    temperature = nn.Parameter(torch.tensor(1.0))
    optimizer = torch.optim.SGD([*model.parameters(), temperature], lr=0.1)
    x, y = torch.randn(64, 8), torch.randint(0, 4, (64,))
    batches = list(zip(x.split(16), y.split(16), strict=True))
    for epoch in range(30):
        fit(model, temperature, optimizer, batches)
        if epoch % 5 == 4:
            print(
                f"epoch {epoch}: temperature {temperature.item():.3f}, "
                f"the last step's temperature.grad {temperature.grad.item():+.4f}"
            )
