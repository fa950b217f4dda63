"""WRONG: turns off requires_grad on the copy so that the in-place update no longer raises,
but still runs it outside torch.no_grad(): adding the live parameters (which require grad)
into the EMA's tensors records a graph, which grows with every update.
Caught by: the EMA's tensors carry no autograd history."""

import copy

import torch
from torch import nn


class EMA:
    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.module = copy.deepcopy(model).requires_grad_(False)

    def update(self, model: nn.Module) -> None:
        for ema_p, p in zip(self.module.parameters(), model.parameters()):
            ema_p.mul_(self.decay).add_(p, alpha=1 - self.decay)
        for ema_b, b in zip(self.module.buffers(), model.buffers()):
            ema_b.copy_(b)
