"""WRONG: normalises in place (logits -= logsumexp) to save the memory of a second (B, T, V)
tensor: the scores are right, but the caller's logits now hold log-probabilities, and the
loss that reuses them is computed from the wrong numbers.
Caught by: sequence_logprob(...)[b] sums log_softmax(logits[b, t])[tokens[b, t]] where mask
is True."""

import torch


def sequence_logprob(logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    logits -= logits.logsumexp(dim=-1, keepdim=True)
    picked = logits.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
    return (picked * mask).sum(dim=-1)
