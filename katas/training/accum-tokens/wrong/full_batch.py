"""WRONG: ignores micro_batch and runs the whole batch at once: the right gradient and loss,
but exactly the memory that accumulation was meant to save.
Caught by: the model never gets more than micro_batch sequences at once."""

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
    logits = model(tokens)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    loss.backward()
    return loss.item()
