"""WRONG: gathers the raw logits, which are unnormalised scores: adding a constant to a
position's logits changes the "log-probability" though the distribution is the same.
Caught by: sequence_logprob(...)[b] sums log_softmax(logits[b, t])[tokens[b, t]] where mask
is True."""

import torch


def sequence_logprob(logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    picked = logits.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
    return (picked * mask).sum(dim=-1)
