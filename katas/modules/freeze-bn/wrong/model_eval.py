"""WRONG: model.eval() freezes the statistics, but also turns off dropout everywhere.
Caught by: every other module stays in training mode, so dropout still drops."""

from torch import nn


def freeze_bn(model: nn.Module) -> None:
    model.eval()
