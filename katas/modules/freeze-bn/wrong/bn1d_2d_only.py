"""WRONG: freezes the batch-norm classes it expects by name, BatchNorm1d and BatchNorm2d, and
misses BatchNorm3d, which keeps normalising with batch statistics and updating its own.
Caught by: the BN running statistics stay bitwise unchanged during fine-tuning (also: frozen BN
layers normalise with their running statistics, for any batch size)."""

from torch import nn


def freeze_bn(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            module.eval()
