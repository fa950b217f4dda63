"""Probing: record what chosen layers of a model output, for analysis."""

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
            # detach: keep no graph alive. clone: a later in-place op (ReLU(inplace=True))
            # writes into this very tensor, and detach() alone shares its storage.
            captured[name] = output.detach().clone()

        return hook

    handles: list[RemovableHandle] = []
    try:
        for name in names:
            handles.append(modules[name].register_forward_hook(saver(name)))
        model(x)
    finally:  # remove our hooks even if the forward pass raises
        for handle in handles:
            handle.remove()
    return captured


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(inplace=True), nn.Linear(5, 2))
    acts = capture(model, torch.randn(2, 4), ["0", "2"])
    print("layer 0 output:", acts["0"])
    print("hooks left on layer 0:", len(model[0]._forward_hooks))
