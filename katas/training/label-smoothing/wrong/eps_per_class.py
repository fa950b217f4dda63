"""WRONG: adds eps to every class instead of eps / V, so the target distribution sums to
1 + eps * (V - 1) and the smoothing term is V times too strong.
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
    nll = -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    per_position = (1 - eps) * nll - eps * logp.sum(dim=-1)
    return per_position[valid].mean()
