"""Fine-tuning helpers: keep a pretrained model's batch-norm statistics fixed."""

import torch
from torch import nn


def freeze_bn(model: nn.Module) -> None:
    """Freeze the batch-norm statistics of ``model``; call it right after ``model.train()``."""
    for module in model.modules():  # every submodule, however deeply nested
        # _BatchNorm is the base of BatchNorm1d/2d/3d and SyncBatchNorm
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            # Eval mode: normalise with the running statistics and stop updating them.
            # Only this layer: dropout elsewhere keeps training, and so do weight and bias.
            module.eval()


if __name__ == "__main__":
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5))
    model.train()
    freeze_bn(model)
    before = model[1].running_mean.clone()
    model(torch.randn(2, 4))
    print("running_mean moved:", not torch.equal(before, model[1].running_mean))
    print("training flags:", [type(m).__name__ + "=" + str(m.training) for m in model])
