"""WRONG: uses F.cross_entropy(reduction="none") per token, which is the negative
log-probability: every score has the wrong sign, so DPO would prefer the rejected responses.
Caught by: sequence_logprob(...)[b] sums log_softmax(logits[b, t])[tokens[b, t]] where mask
is True."""

import torch
import torch.nn.functional as F


def sequence_logprob(logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    per_token = F.cross_entropy(logits.transpose(1, 2), tokens, reduction="none")
    return (per_token * mask).sum(dim=-1)
