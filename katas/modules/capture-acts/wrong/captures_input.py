"""WRONG: records the submodule's input (args[0]) instead of its output.
Caught by: each capture equals the output of the submodule with that name."""

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


def capture(model: nn.Module, x: torch.Tensor, names: Sequence[str]) -> dict[str, torch.Tensor]:
    """Run ``model(x)`` once; return ``{name: output of the submodule called name}``."""
    modules = dict(model.named_modules())
    captured: dict[str, torch.Tensor] = {}

    def saver(name: str) -> Callable[[nn.Module, Any, torch.Tensor], None]:
        def hook(module: nn.Module, args: Any, output: torch.Tensor) -> None:
            captured[name] = args[0].detach().clone()

        return hook

    handles: list[RemovableHandle] = []
    try:
        for name in names:
            handles.append(modules[name].register_forward_hook(saver(name)))
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return captured

