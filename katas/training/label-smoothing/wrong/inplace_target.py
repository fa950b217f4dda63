"""WRONG: the value is right, but it replaces the -100 entries in the caller's target in
place (target[~valid] = 0): the caller's batch now has padding labelled as class 0.
Caught by: logits and target are left unchanged."""

import torch

IGNORE = -100  # the target at padded positions


def smoothed_ce(logits: torch.Tensor, target: torch.Tensor, eps: float) -> torch.Tensor:
    """Label-smoothed cross-entropy of (B, T, V) logits against (B, T) class indices, averaged
    over the positions whose target is not IGNORE."""
    vocab = logits.shape[-1]
    logp = logits.log_softmax(dim=-1)
    valid = target != IGNORE
    target[~valid] = 0
    q = torch.full_like(logp, eps / vocab)
    q.scatter_(-1, target.unsqueeze(-1), 1 - eps + eps / vocab)
    per_position = -(q * logp).sum(dim=-1)
    return per_position[valid].mean()
