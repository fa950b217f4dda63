"""WRONG: gathers along dim 1, the time axis, instead of the vocabulary: out[b, t] is
logp[b, tokens[b, t], 0]. It raises only when a token id reaches T; with small ids it silently
returns wrong numbers.
Caught by: sequence_logprob(...)[b] sums log_softmax(logits[b, t])[tokens[b, t]] where mask
is True."""

import torch
import torch.nn.functional as F


def sequence_logprob(logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    logp = F.log_softmax(logits, dim=-1)
    picked = logp.gather(1, tokens.unsqueeze(-1)).squeeze(-1)
    return (picked * mask).sum(dim=-1)
