"""WRONG: weights each micro-batch's mean by its share of the sequences, len(micro) / N,
as for a loss averaged over samples. The loss averages over tokens, and micro-batches hold
different numbers of real tokens; one without any gives a NaN mean.
Caught by: the gradients equal the full batch's, a mean over every real token."""

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
    total = 0.0
    for tb, yb in zip(tokens.split(micro_batch), targets.split(micro_batch), strict=True):
        logits = model(tb)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), yb.reshape(-1))
        loss = loss * (len(tb) / len(tokens))
        loss.backward()
        total += loss.item()
    return total
