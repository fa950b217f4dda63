"""WRONG: a Python if on the norm: right for one vector, but under vmap the norm holds one
value per row, and vmap raises on data-dependent control flow.
Caught by: vmap(clip_norm) clips each row of a batch on its own."""

import torch


def clip_norm(x: torch.Tensor) -> torch.Tensor:
    norm = torch.linalg.vector_norm(x)
    if norm > 1:
        return x / norm
    return x
