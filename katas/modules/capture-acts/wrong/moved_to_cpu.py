"""WRONG: stores output.detach().clone().float().cpu(): a float32 copy on the CPU, not the output as
it was returned (a bfloat16 model's activations change dtype, a GPU model's change device).
Caught by: each capture keeps the output's dtype and device."""

from collections.abc import Sequence

import torch
from torch import nn


def capture(model: nn.Module, x: torch.Tensor, names: Sequence[str]) -> dict[str, torch.Tensor]:
    modules = dict(model.named_modules())
    captured: dict[str, torch.Tensor] = {}

    def saver(name):
        def hook(module, args, output):
            captured[name] = output.detach().clone().float().cpu()

        return hook

    handles = [modules[name].register_forward_hook(saver(name)) for name in names]
    try:
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return captured
