"""WRONG: updates in place without torch.no_grad(): the EMA's parameters are leaves that
require grad (deepcopy keeps requires_grad), and autograd refuses in-place changes to them.
Caught by: after each update, the EMA parameters equal decay * ema + (1 - decay) * param."""

import copy

import torch
from torch import nn


class EMA:
    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.module = copy.deepcopy(model)

    def update(self, model: nn.Module) -> None:
        for ema_p, p in zip(self.module.parameters(), model.parameters()):
            ema_p.mul_(self.decay).add_(p, alpha=1 - self.decay)
        for ema_b, b in zip(self.module.buffers(), model.buffers()):
            ema_b.copy_(b)
