"""WRONG: track_running_stats = False stops the updates, but a layer in train mode that tracks no
statistics normalises with the batch's own statistics, the noise we wanted to avoid.
Caught by: frozen BN layers normalise with their running statistics, for any batch size."""

from torch import nn


def freeze_bn(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.track_running_stats = False
