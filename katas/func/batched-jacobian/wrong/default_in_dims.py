"""WRONG: vmap(jacrev(f)) with the default in_dims=0 splits W along its rows as well as x:
vmap raises because W has m rows and x has B (and were B equal to m, each sample would get
one row of W).
Caught by: jacobians(f, x, W) holds one (m, n) Jacobian per sample: shape (B, m, n)."""

from collections.abc import Callable

import torch
from torch.func import jacrev, vmap


def jacobians(
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor, W: torch.Tensor
) -> torch.Tensor:
    return vmap(jacrev(f))(x, W)
