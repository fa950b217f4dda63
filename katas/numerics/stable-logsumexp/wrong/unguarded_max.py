"""WRONG: shifts by the per-slice maximum without guarding an infinite one: for a slice of
all -inf, x - m is -inf - (-inf) = NaN, and for a slice holding inf, inf - inf = NaN.
Caught by: a slice of all -inf gives -inf, and one holding inf gives inf."""

import torch


def logsumexp(x: torch.Tensor, dim: int, keepdim: bool = False) -> torch.Tensor:
    m = x.amax(dim=dim, keepdim=True)
    out = m + (x - m).exp().sum(dim=dim, keepdim=True).log()
    return out if keepdim else out.squeeze(dim)
