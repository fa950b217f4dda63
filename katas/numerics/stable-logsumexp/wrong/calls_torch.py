"""WRONG: calls torch.logsumexp, which the target compiler does not have.
Caught by: logsumexp calls no torch logsumexp, softmax or log_softmax."""

import torch


def logsumexp(x: torch.Tensor, dim: int, keepdim: bool = False) -> torch.Tensor:
    return x.logsumexp(dim, keepdim=keepdim)
