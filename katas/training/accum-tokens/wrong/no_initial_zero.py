"""WRONG: accumulates token sums correctly but never clears .grad first, so the previous
step's gradients leak into this one.
Caught by: gradients left over from the previous step do not leak in."""

import torch
import torch.nn.functional as F
from torch import nn

IGNORE = -100  # the target of padded positions


def accumulate_grads(
    model: nn.Module, tokens: torch.Tensor, targets: torch.Tensor, micro_batch: int
) -> float:
    """Leave in .grad the gradient of the whole batch's loss, the mean cross-entropy over every
    target that is not IGNORE, running at most ``micro_batch`` sequences at a time; return that
    loss as a float."""
    n_tokens = int((targets != IGNORE).sum())
    total = 0.0
    for tb, yb in zip(tokens.split(micro_batch), targets.split(micro_batch), strict=True):
        logits = model(tb)
        loss = (
            F.cross_entropy(logits.reshape(-1, logits.shape[-1]), yb.reshape(-1), reduction="sum")
            / n_tokens
        )
        loss.backward()
        total += loss.item()
    return total
