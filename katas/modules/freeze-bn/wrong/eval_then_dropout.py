"""WRONG: model.eval(), then dropout switched back on by type: nn.Dropout2d is not an nn.Dropout,
so it stays off, and every other module is left in eval mode.
Caught by: every other module stays in training mode, so dropout still drops."""

from torch import nn


def freeze_bn(model: nn.Module) -> None:
    model.eval()
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.train()
