"""WRONG: averages the parameters only. BatchNorm's running statistics are buffers, which
model.parameters() does not list: the EMA keeps its initial mean 0 and variance 1, and in
eval mode normalises with them.
Caught by: BatchNorm buffers, num_batches_tracked included, are copied from the model."""

import copy

import torch
from torch import nn


class EMA:
    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.module = copy.deepcopy(model)

    def update(self, model: nn.Module) -> None:
        with torch.no_grad():
            for ema_p, p in zip(self.module.parameters(), model.parameters()):
                ema_p.mul_(self.decay).add_(p, alpha=1 - self.decay)
