"""log(sum(exp(x))) along a dimension, from elementary operations only."""

import torch


def logsumexp(x: torch.Tensor, dim: int, keepdim: bool = False) -> torch.Tensor:
    """log(sum(exp(x))) along dim, as torch.logsumexp computes it."""
    top = torch.max(x, dim=dim, keepdim=True).values
    # inf and -inf maxima become 0: exp then sees the raw entries, which is right there
    shift = torch.nan_to_num(top, posinf=0.0, neginf=0.0)
    total = torch.sum(torch.exp(x - shift), dim=dim, keepdim=keepdim)
    return torch.log(total) + (shift if keepdim else shift.squeeze(dim))
