"""WRONG: logp[:, :, tokens] indexes the vocabulary with the whole (B, T) token tensor: every
position gets every token's log-probability, a (B, T, B, T) tensor.
Caught by: sequence_logprob(...)[b] sums log_softmax(logits[b, t])[tokens[b, t]] where mask
is True."""

import torch
import torch.nn.functional as F


def sequence_logprob(logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    logp = F.log_softmax(logits, dim=-1)
    picked = logp[:, :, tokens]
    return (picked * mask).sum(dim=-1)
