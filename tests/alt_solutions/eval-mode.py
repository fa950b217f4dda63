"""Second solution for eval-mode: inference_mode as a decorator, every submodule's own
training flag saved and restored, counts kept as tensors."""

from collections.abc import Iterable

import torch
from torch import nn


@torch.inference_mode()
def evaluate(model: nn.Module, loader: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> float:
    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        hits = [(model(x).argmax(-1) == y) for x, y in loader]
        return torch.cat(hits).float().mean().item()
    finally:
        for module, training in modes.items():
            module.training = training
