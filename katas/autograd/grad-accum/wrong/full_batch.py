"""WRONG: ignores micro_batch and runs the whole batch at once: the right gradient, but
exactly the memory the accumulation was meant to save.
Caught by: the model never sees more than micro_batch samples at once."""

import torch
import torch.nn.functional as F
from torch import nn


def accumulate_grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor, micro_batch: int) -> float:
    model.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    return loss.item()
