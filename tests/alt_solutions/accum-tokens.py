"""accum-tokens, written differently: each micro-batch's mean over its own real tokens is
weighted by its share of the batch's real tokens, and micro-batches without any real token
are skipped (their mean would be 0 / 0, and they add nothing)."""

import torch
import torch.nn.functional as F
from torch import nn

IGNORE = -100


def accumulate_grads(
    model: nn.Module, tokens: torch.Tensor, targets: torch.Tensor, micro_batch: int
) -> float:
    """Leave in .grad the gradient of the whole batch's mean cross-entropy over real tokens,
    running at most ``micro_batch`` sequences at a time; return that loss as a float."""
    for param in model.parameters():
        param.grad = None
    real = targets != IGNORE
    n_tokens = real.sum().item()
    total = 0.0
    for start in range(0, len(tokens), micro_batch):
        rows = slice(start, start + micro_batch)
        count = real[rows].sum().item()
        if count == 0:
            continue
        logits = model(tokens[rows])
        mean = F.cross_entropy(logits.flatten(0, 1), targets[rows].flatten())
        loss = mean * (count / n_tokens)
        loss.backward()
        total += loss.item()
    return total
