"""WRONG: weights each micro-batch's mean by its share of the real tokens. The gradients
come out right, but a micro-batch without real tokens has a mean of 0 / 0 = NaN, and NaN
times its weight 0 is still NaN: the returned loss is NaN.
Caught by: a micro-batch without real tokens adds nothing and turns nothing into NaN."""

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
    model.zero_grad()
    n_tokens = int((targets != IGNORE).sum())
    total = 0.0
    for tb, yb in zip(tokens.split(micro_batch), targets.split(micro_batch), strict=True):
        logits = model(tb)
        share = int((yb != IGNORE).sum()) / n_tokens
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), yb.reshape(-1)) * share
        loss.backward()
        total += loss.item()
    return total
