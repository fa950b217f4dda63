"""WRONG: momentum = 0 keeps the running mean and variance, but the layers still normalise with
the batch statistics, and num_batches_tracked still counts.
Caught by: the BN running statistics stay bitwise unchanged during fine-tuning (also: frozen BN
layers normalise with their running statistics, for any batch size)."""

from torch import nn


def freeze_bn(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.momentum = 0.0
