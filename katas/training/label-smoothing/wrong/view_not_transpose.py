"""WRONG: calls F.cross_entropy, which wants the classes in dim 1, on logits.view(B, V, T):
the shape is right, but view keeps the memory order, so classes and positions get mixed
up, without any error.
Caught by: equals F.cross_entropy(logits.transpose(1, 2), target, label_smoothing=eps)."""

import torch
import torch.nn.functional as F

IGNORE = -100  # the target at padded positions


def smoothed_ce(logits: torch.Tensor, target: torch.Tensor, eps: float) -> torch.Tensor:
    """Label-smoothed cross-entropy of (B, T, V) logits against (B, T) class indices, averaged
    over the positions whose target is not IGNORE."""
    b, t, v = logits.shape
    return F.cross_entropy(logits.view(b, v, t), target, ignore_index=IGNORE, label_smoothing=eps)
