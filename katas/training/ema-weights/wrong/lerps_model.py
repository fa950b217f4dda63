"""WRONG: lerps the wrong way round, p.lerp_(ema_p, ...): it pulls the live model toward the
average (changing the weights being trained) and leaves the EMA where it was.
Caught by: building and updating the EMA leave the live model unchanged."""

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
                p.lerp_(ema_p, self.decay)
            for ema_b, b in zip(self.module.buffers(), model.buffers()):
                ema_b.copy_(b)
