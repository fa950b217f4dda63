"""WRONG: a backward pre-hook reverses grad_output, the gradient ARRIVING at the module: the
features get the reversed gradient, but so do the domain classifier's own parameters.
Caught by: the domain classifier's own parameters get their normal gradients."""

from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


def reverse_gradient(module: nn.Module, lambd: float) -> RemovableHandle:
    def hook(module: nn.Module, grad_output: Any) -> tuple[Any, ...]:
        return tuple(None if g is None else -lambd * g for g in grad_output)

    return module.register_full_backward_pre_hook(hook)
