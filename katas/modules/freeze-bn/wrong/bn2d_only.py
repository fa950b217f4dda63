"""WRONG: only BatchNorm2d is frozen (CNN habit); the BatchNorm1d in the head keeps updating.
Caught by: the BN running statistics stay bitwise unchanged during fine-tuning (also: frozen BN
layers normalise with their running statistics, for any batch size)."""

from torch import nn


def freeze_bn(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.eval()
