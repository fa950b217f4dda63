"""WRONG: zeroes the padded positions' losses, then takes .mean() over all B * T positions:
padding still counts in the denominator, so the loss shrinks as padding grows.
Caught by: equals F.cross_entropy(logits.transpose(1, 2), target, label_smoothing=eps)."""

import torch

IGNORE = -100  # the target at padded positions


def smoothed_ce(logits: torch.Tensor, target: torch.Tensor, eps: float) -> torch.Tensor:
    """Label-smoothed cross-entropy of (B, T, V) logits against (B, T) class indices, averaged
    over the positions whose target is not IGNORE."""
    vocab = logits.shape[-1]
    logp = logits.log_softmax(dim=-1)
    valid = target != IGNORE
    safe = target.masked_fill(~valid, 0)
    q = torch.full_like(logp, eps / vocab)
    q.scatter_(-1, safe.unsqueeze(-1), 1 - eps + eps / vocab)
    per_position = -(q * logp).sum(dim=-1)
    return (per_position * valid).mean()
