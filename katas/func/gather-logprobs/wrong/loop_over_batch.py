"""WRONG: vectorised within a sequence, but a Python loop over the batch: right values, and
B Python steps per call.
Caught by: the number of torch calls does not grow with B or T."""

import torch
import torch.nn.functional as F


def sequence_logprob(logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    logp = F.log_softmax(logits, dim=-1)
    scores = []
    for b in range(len(tokens)):
        picked = logp[b].gather(-1, tokens[b].unsqueeze(-1)).squeeze(-1)
        scores.append(picked[mask[b]].sum())
    return torch.stack(scores)
