"""WRONG: gives tokens its index axis with unsqueeze_, in place: the scores are right, but the
caller's tokens tensor is now (B, T, 1), and the next use of it (the reference model's
scoring, the loss) breaks or broadcasts.
Caught by: sequence_logprob(...)[b] sums log_softmax(logits[b, t])[tokens[b, t]] where mask
is True."""

import torch
import torch.nn.functional as F


def sequence_logprob(logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    logp = F.log_softmax(logits, dim=-1)
    picked = logp.gather(-1, tokens.unsqueeze_(-1))[..., 0]
    return (picked * mask).sum(dim=-1)
