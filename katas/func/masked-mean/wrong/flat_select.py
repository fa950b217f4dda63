"""WRONG: x[mask] gathers the valid steps of all rows into one (K, D) tensor, so .mean(0) is
one mean over the whole batch, of shape (D,), not one per row.
Caught by: masked_mean(x, mask)[b] is the mean of x[b, t] over the valid steps t of row b."""

import torch


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return x[mask].mean(dim=0)
