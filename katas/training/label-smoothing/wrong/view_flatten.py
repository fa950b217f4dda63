"""WRONG: flattens with view(-1, V): right for contiguous logits, but a transposed
(seq-first) output is not contiguous, and view raises.
Caught by: works on non-contiguous logits (a (T, B, V) output transposed to (B, T, V))."""

import torch

IGNORE = -100  # the target at padded positions


def smoothed_ce(logits: torch.Tensor, target: torch.Tensor, eps: float) -> torch.Tensor:
    """Label-smoothed cross-entropy of (B, T, V) logits against (B, T) class indices, averaged
    over the positions whose target is not IGNORE."""
    vocab = logits.shape[-1]
    flat_target = target.view(-1)
    logp = logits.view(-1, vocab).log_softmax(dim=-1)
    valid = flat_target != IGNORE
    safe = flat_target.masked_fill(~valid, 0)
    q = torch.full_like(logp, eps / vocab)
    q.scatter_(-1, safe.unsqueeze(-1), 1 - eps + eps / vocab)
    per_position = -(q * logp).sum(dim=-1)
    return per_position[valid].mean()
