"""WRONG: swaps the weights, decay * param + (1 - decay) * ema: the "average" follows the live
model closely and forgets its history almost at once.
Caught by: after each update, the EMA parameters equal decay * ema + (1 - decay) * param."""

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
                ema_p.mul_(1 - self.decay).add_(p, alpha=self.decay)
            for ema_b, b in zip(self.module.buffers(), model.buffers()):
                ema_b.copy_(b)
