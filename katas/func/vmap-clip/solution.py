"""Clipping each example's gradient to norm 1, as DP-SGD does before averaging them. The
clip is written for one example and vectorised over the batch with torch.func.vmap."""

import torch
from torch.func import vmap


def clip_norm(x: torch.Tensor) -> torch.Tensor:
    """x (D,) unchanged if its L2 norm is at most 1, else x scaled to norm 1."""
    norm = torch.linalg.vector_norm(x)
    # no Python branch on a tensor's value: under vmap, norm holds one value per row, so
    # "norm > 1" has no single answer. Dividing by max(norm, 1) is the same clip as
    # arithmetic, and never divides by 0, so the zero vector's gradient stays finite too.
    return x / norm.clamp(min=1)


if __name__ == "__main__":
    grads = torch.tensor([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    print(clip_norm(grads[0]), clip_norm(grads[1]))
    print(vmap(clip_norm)(grads))  # every row at once
