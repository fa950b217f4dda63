"""WRONG: runs one forward pass per name, each with a single hook: the captures are right, but
the model runs len(names) times, which costs time and moves any state a forward pass changes
(BatchNorm statistics, dropout draws, the model's own hooks).
Caught by: capture runs the model's forward pass once."""

from collections.abc import Sequence

import torch
from torch import nn


def capture(model: nn.Module, x: torch.Tensor, names: Sequence[str]) -> dict[str, torch.Tensor]:
    modules = dict(model.named_modules())
    captured: dict[str, torch.Tensor] = {}
    for name in names:

        def hook(module, args, output, name=name):
            captured[name] = output.detach().clone()

        handle = modules[name].register_forward_hook(hook)
        try:
            model(x)
        finally:
            handle.remove()
    return captured
