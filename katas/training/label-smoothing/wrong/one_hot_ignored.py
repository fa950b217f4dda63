"""WRONG: builds the target distribution with F.one_hot(target, V), which raises on the
-100 entries of padded positions ("Class values must be non-negative").
Caught by: equals F.cross_entropy(logits.transpose(1, 2), target, label_smoothing=eps)."""

import torch
import torch.nn.functional as F

IGNORE = -100  # the target at padded positions


def smoothed_ce(logits: torch.Tensor, target: torch.Tensor, eps: float) -> torch.Tensor:
    """Label-smoothed cross-entropy of (B, T, V) logits against (B, T) class indices, averaged
    over the positions whose target is not IGNORE."""
    vocab = logits.shape[-1]
    logp = logits.log_softmax(dim=-1)
    valid = target != IGNORE
    q = (1 - eps) * F.one_hot(target, vocab).to(logp.dtype) + eps / vocab
    per_position = -(q * logp).sum(dim=-1)
    return per_position[valid].mean()
