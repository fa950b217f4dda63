"""A learnable scale: multiplies its input by ``alpha``, which training should adjust."""

import torch
from torch import nn


class Scale(nn.Module):
    """Returns ``x * alpha``; ``alpha`` starts at ``init`` and should be learned."""

    def __init__(self, init: float = 1.0) -> None:
        super().__init__()
        # TODO: the optimizer never sees alpha, so it never changes. Make it trainable.
        self.alpha = torch.tensor(init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.alpha


if __name__ == "__main__":
    model = Scale(0.5)
    print("what the optimizer will train:", [name for name, _ in model.named_parameters()])
