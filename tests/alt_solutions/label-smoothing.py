"""label-smoothing, written differently: the loss split into its two terms, (1 - eps) times
the negative log-likelihood plus eps times the mean of -log p over the classes, computed on
the real positions only (selected before anything is indexed by the target)."""

import torch

IGNORE = -100


def smoothed_ce(logits: torch.Tensor, target: torch.Tensor, eps: float) -> torch.Tensor:
    """Label-smoothed cross-entropy of (B, T, V) logits against (B, T) class indices, averaged
    over the positions whose target is not IGNORE."""
    flat_logits = logits.reshape(-1, logits.shape[-1])
    flat_target = target.reshape(-1)
    keep = flat_target != IGNORE
    logp = flat_logits[keep].log_softmax(dim=-1)
    nll = -logp.gather(1, flat_target[keep].unsqueeze(1)).squeeze(1)
    smooth = -logp.mean(dim=1)
    return ((1 - eps) * nll + eps * smooth).mean()
