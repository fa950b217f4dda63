"""WRONG: registers the right hook but returns nothing, so the reversal can never be switched
off (for pretraining, or a lambd schedule that starts at zero).
Caught by: handle.remove() brings back the normal gradients."""

from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


def reverse_gradient(module: nn.Module, lambd: float) -> RemovableHandle:
    def hook(module: nn.Module, grad_input: Any, grad_output: Any) -> tuple[Any, ...]:
        return tuple(None if g is None else -lambd * g for g in grad_input)

    module.register_full_backward_hook(hook)
