"""WRONG: divides in place to save memory: under vmap the argument is a view of the caller's
batch, so the caller's gradients are clipped behind its back.
Caught by: clip_norm(x) keeps a vector of norm at most 1 and scales a longer one to norm 1."""

import torch


def clip_norm(x: torch.Tensor) -> torch.Tensor:
    x /= torch.linalg.vector_norm(x).clamp(min=1)
    return x
