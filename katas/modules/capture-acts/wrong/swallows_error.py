"""WRONG: removes its hooks when the forward pass raises, but swallows the error and returns
what it captured so far: a probe fitted on a half-empty dict, with no sign that the model failed.
Caught by: an error in the forward pass reaches the caller."""

from collections.abc import Sequence

import torch
from torch import nn


def capture(model: nn.Module, x: torch.Tensor, names: Sequence[str]) -> dict[str, torch.Tensor]:
    modules = dict(model.named_modules())
    captured: dict[str, torch.Tensor] = {}

    def saver(name):
        def hook(module, args, output):
            captured[name] = output.detach().clone()

        return hook

    handles = [modules[name].register_forward_hook(saver(name)) for name in names]
    try:
        model(x)
    except Exception:
        pass
    finally:
        for handle in handles:
            handle.remove()
    return captured
