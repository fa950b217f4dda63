"""WRONG: jacrev(f) on the whole batch differentiates every output of every sample by every
sample's input: a (B, m, B, n) tensor, B times the work, whose off-diagonal blocks are zero.
Caught by: jacobians(f, x, W) holds one (m, n) Jacobian per sample: shape (B, m, n)."""

from collections.abc import Callable

import torch
from torch.func import jacrev


def jacobians(
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor, W: torch.Tensor
) -> torch.Tensor:
    return jacrev(f)(x, W)
