"""WRONG: freezes the batch-norm weight and bias instead of the statistics: the running mean and
variance are buffers, which forward still updates in train mode.
Caught by: the BN running statistics stay bitwise unchanged during fine-tuning (also: every
parameter, BN weight and bias included, still gets a gradient and trains)."""

from torch import nn


def freeze_bn(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.requires_grad_(False)
