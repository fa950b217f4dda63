"""WRONG: averages every state_dict() entry with lerp_, buffers included: that fails on
BatchNorm's int64 num_batches_tracked ("lerp_kernel_scalar" not implemented for 'Long').
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
            live = model.state_dict()
            for name, ema_t in self.module.state_dict().items():
                ema_t.lerp_(live[name], 1 - self.decay)
