"""WRONG: copy.copy(model) makes a new Module object that holds the very same parameter and
buffer tensors: the "average" is the live model itself.
Caught by: after each update, the EMA parameters equal decay * ema + (1 - decay) * param."""

import copy

import torch
from torch import nn


class EMA:
    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.module = copy.copy(model)

    def update(self, model: nn.Module) -> None:
        with torch.no_grad():
            for ema_p, p in zip(self.module.parameters(), model.parameters()):
                ema_p.lerp_(p, 1 - self.decay)
            for ema_b, b in zip(self.module.buffers(), model.buffers()):
                ema_b.copy_(b)
