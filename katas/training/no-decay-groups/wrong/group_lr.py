"""WRONG: splits correctly, but writes the recipe's lr into each group: a group's keys
override the optimizer's own settings, so the lr passed to AdamW (and any schedule built on
it) is ignored.
Caught by: each group sets only 'params' and 'weight_decay'."""

from torch import nn


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    decay, no_decay = [], []
    for param in model.parameters():
        if param.ndim >= 2:
            decay.append(param)
        else:
            no_decay.append(param)
    return [
        {"params": decay, "weight_decay": weight_decay, "lr": 3e-4},
        {"params": no_decay, "weight_decay": 0.0, "lr": 3e-4},
    ]
