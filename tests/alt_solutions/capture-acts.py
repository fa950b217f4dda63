"""Second solution for capture-acts: get_submodule, handles entered in an ExitStack, and the
forward pass run under torch.no_grad() (so outputs carry no graph; clone them for storage)."""

from collections.abc import Sequence
from contextlib import ExitStack
from functools import partial

import torch
from torch import nn


def _store(into: dict[str, torch.Tensor], name: str, module: nn.Module, args, output) -> None:
    into[name] = output.clone()


def capture(model: nn.Module, x: torch.Tensor, names: Sequence[str]) -> dict[str, torch.Tensor]:
    found: dict[str, torch.Tensor] = {}
    with ExitStack() as stack, torch.no_grad():
        for name in names:
            hook = partial(_store, found, name)
            stack.enter_context(model.get_submodule(name).register_forward_hook(hook))
        model(x)
    return found
