"""WRONG: children() yields only the direct submodules, so batch-norm layers nested in blocks
are never reached.
Caught by: the BN running statistics stay bitwise unchanged during fine-tuning."""

from torch import nn


def freeze_bn(model: nn.Module) -> None:
    for module in model.children():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()
