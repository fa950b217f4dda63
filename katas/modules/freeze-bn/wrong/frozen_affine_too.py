"""WRONG: the statistics are frozen, but so are weight and bias, which this fine-tuning must
still train.
Caught by: every parameter, BN weight and bias included, still gets a gradient and trains."""

from torch import nn


def freeze_bn(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()
            module.requires_grad_(False)
