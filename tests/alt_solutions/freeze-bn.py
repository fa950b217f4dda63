"""Second solution for freeze-bn: Module.apply with train(False) on the batch-norm classes."""

from torch import nn

BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def _stats_frozen(module: nn.Module) -> None:
    if isinstance(module, BATCH_NORMS):
        module.train(False)


def freeze_bn(model: nn.Module) -> nn.Module:
    return model.apply(_stats_frozen)
