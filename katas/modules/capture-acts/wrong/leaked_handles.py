"""WRONG: the hooks are never removed: every later forward pass runs them, refills the old dict,
and keeps it alive.
Caught by: after capture returns, only the hooks that were there before remain."""

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn


def capture(model: nn.Module, x: torch.Tensor, names: Sequence[str]) -> dict[str, torch.Tensor]:
    """Run ``model(x)`` once; return ``{name: output of the submodule called name}``."""
    modules = dict(model.named_modules())
    captured: dict[str, torch.Tensor] = {}

    def saver(name: str) -> Callable[[nn.Module, Any, torch.Tensor], None]:
        def hook(module: nn.Module, args: Any, output: torch.Tensor) -> None:
            captured[name] = output.detach().clone()

        return hook

    for name in names:
        modules[name].register_forward_hook(saver(name))
    model(x)
    return captured

