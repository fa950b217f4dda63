"""A learnable scale: multiplies its input by ``alpha``, which training should adjust."""

import torch
from torch import nn


class Scale(nn.Module):
    """Returns ``x * alpha``; ``alpha`` starts at ``init`` and is learned."""

    def __init__(self, init: float = 1.0) -> None:
        super().__init__()
        # An nn.Parameter is registered by Module.__setattr__ and requires grad by default.
        self.alpha = nn.Parameter(torch.tensor(float(init)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.alpha


if __name__ == "__main__":
    model = Scale(0.5)
    print("what the optimizer will train:", [name for name, _ in model.named_parameters()])
