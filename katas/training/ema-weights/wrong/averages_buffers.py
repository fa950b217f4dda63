"""WRONG: averages the float buffers (BatchNorm's running mean and variance) like the
parameters, and copies only the int64 counter: the statistics lag behind the weights
they belong to. The recipe here copies buffers.
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
                ema_p.lerp_(p, 1 - self.decay)
            for ema_b, b in zip(self.module.buffers(), model.buffers()):
                if ema_b.is_floating_point():
                    ema_b.lerp_(b, 1 - self.decay)
                else:
                    ema_b.copy_(b)
