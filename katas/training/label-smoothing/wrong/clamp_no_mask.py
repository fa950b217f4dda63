"""WRONG: clamps -100 to class 0 so that gather works, but never drops those positions:
padding counts as real tokens of class 0.
Caught by: equals F.cross_entropy(logits.transpose(1, 2), target, label_smoothing=eps)."""

import torch

IGNORE = -100  # the target at padded positions


def smoothed_ce(logits: torch.Tensor, target: torch.Tensor, eps: float) -> torch.Tensor:
    """Label-smoothed cross-entropy of (B, T, V) logits against (B, T) class indices, averaged
    over the positions whose target is not IGNORE."""
    vocab = logits.shape[-1]
    logp = logits.log_softmax(dim=-1)
    safe = target.clamp(min=0)
    nll = -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    uniform = -logp.mean(dim=-1)
    return ((1 - eps) * nll + eps * uniform).mean()
