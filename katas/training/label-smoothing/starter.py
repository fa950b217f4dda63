"""Cross-entropy with label smoothing, written out by hand for a padded language-model batch."""

import torch
import torch.nn.functional as F

IGNORE = -100  # the target at padded positions


def smoothed_ce(logits: torch.Tensor, target: torch.Tensor, eps: float) -> torch.Tensor:
    """Label-smoothed cross-entropy of (B, T, V) logits against (B, T) class indices, averaged
    over the positions whose target is not IGNORE."""
    vocab = logits.shape[-1]
    logp = logits.log_softmax(dim=-1)
    valid = target != IGNORE
    safe = target.masked_fill(~valid, 0)  # any real class; these positions are dropped below
    # the smoothed target distribution: most of the mass on the true class, eps spread out
    q = torch.full_like(logp, eps / (vocab - 1))
    q.scatter_(-1, safe.unsqueeze(-1), 1 - eps)
    per_position = -(q * logp).sum(dim=-1)
    # TODO: does not match F.cross_entropy(..., label_smoothing=eps), and padding changes it.
    return (per_position * valid).mean()


if __name__ == "__main__":
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 7)
    target = torch.randint(0, 7, (2, 5))
    target[1, 3:] = IGNORE  # the second sequence is two tokens shorter
    for eps in (0.0, 0.1):
        mine = smoothed_ce(logits, target, eps)
        torchs = F.cross_entropy(logits.transpose(1, 2), target, label_smoothing=eps)
        print(f"eps={eps}: smoothed_ce {mine.item():.6f}, F.cross_entropy {torchs.item():.6f}")
