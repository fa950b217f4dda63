"""Per-sample input Jacobians, for a Jacobian penalty that keeps a small network smooth
around each training point."""

from collections.abc import Callable

import torch
from torch.func import jacrev, vmap


def jacobians(
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor, W: torch.Tensor
) -> torch.Tensor:
    """For f mapping one sample x_i (n,) and the shared weight W to (m,): the (B, m, n) tensor
    of d f(x[b], W) / d x[b], one Jacobian per row of x (B, n)."""
    # TODO: this differentiates every output by every sample's input: (B, m, B, n).
    return jacrev(f)(x, W)


def layer(x: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    return torch.tanh(x @ W.T)


if __name__ == "__main__":
    x, W = torch.randn(8, 4), torch.randn(3, 4)
    print("per-sample Jacobians:", tuple(jacobians(layer, x, W).shape), "expected (8, 3, 4)")
