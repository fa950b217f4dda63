"""WRONG: .squeeze() without a dim after the gather: with T = 1 it also drops the time axis,
the (B,) result then broadcasts against the (B, 1) mask into (B, B), and each sequence's score
becomes a sum over the whole batch.
Caught by: sequence_logprob(...)[b] sums log_softmax(logits[b, t])[tokens[b, t]] where mask
is True."""

import torch
import torch.nn.functional as F


def sequence_logprob(logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    logp = F.log_softmax(logits, dim=-1)
    picked = logp.gather(-1, tokens.unsqueeze(-1)).squeeze()
    return (picked * mask).sum(dim=-1)
