"""WRONG: shifts every slice by the maximum of the whole tensor: slices far below it (scores
near -1000 when another row is near 1000) underflow to a sum of 0, whose log is -inf.
Caught by: logsumexp(x, dim, keepdim) equals torch.logsumexp for values from -1000 to 1000."""

import torch


def logsumexp(x: torch.Tensor, dim: int, keepdim: bool = False) -> torch.Tensor:
    m = x.max()
    if not m.isfinite():
        m = torch.zeros_like(m)
    return m + (x - m).exp().sum(dim=dim, keepdim=keepdim).log()
