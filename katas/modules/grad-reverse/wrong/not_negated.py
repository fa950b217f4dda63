"""WRONG: scales grad_input by lambd without reversing it: the features help the domain
classifier instead of fooling it.
Caught by: the domain loss's gradient reaching the features is -lambd times the normal one."""

from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


def reverse_gradient(module: nn.Module, lambd: float) -> RemovableHandle:
    def hook(module: nn.Module, grad_input: Any, grad_output: Any) -> tuple[Any, ...]:
        return tuple(None if g is None else lambd * g for g in grad_input)

    return module.register_full_backward_hook(hook)
