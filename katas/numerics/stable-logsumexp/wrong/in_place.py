"""WRONG: shifts x in place (x -= m) to save memory: the result is right, but the caller's
scores are overwritten.
Caught by: logsumexp leaves x unchanged (also: the gradient check, where an in-place change of
a leaf that requires grad raises)."""

import torch


def logsumexp(x: torch.Tensor, dim: int, keepdim: bool = False) -> torch.Tensor:
    m = x.amax(dim=dim, keepdim=True)
    m = torch.where(m.isfinite(), m, torch.zeros_like(m))
    x -= m
    out = m + x.exp().sum(dim=dim, keepdim=True).log()
    return out if keepdim else out.squeeze(dim)
