"""WRONG: jacrev(f, argnums=1) differentiates with respect to W, the shared weight, not the
sample: each "Jacobian" is (m, m, n).
Caught by: jacobians(f, x, W) holds one (m, n) Jacobian per sample: shape (B, m, n)."""

from collections.abc import Callable

import torch
from torch.func import jacrev, vmap


def jacobians(
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor, W: torch.Tensor
) -> torch.Tensor:
    return vmap(jacrev(f, argnums=1), in_dims=(0, None))(x, W)
