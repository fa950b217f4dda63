"""WRONG: averages the parameters in its own copy, but hands the copy the live model's
buffer tensors themselves: the EMA's BatchNorm statistics are the model's, changing
with every train-mode forward, even between updates.
Caught by: changing the live model in place leaves the EMA alone until the next update."""

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
        ema_modules = dict(self.module.named_modules())
        for name, module in model.named_modules():
            for buffer_name, buffer in module.named_buffers(recurse=False):
                setattr(ema_modules[name], buffer_name, buffer)
