"""WRONG: negates the module's output in a forward hook. The features do get -lambd times their
gradient, but the domain classifier predicts the opposite domain and its own gradients are
reversed: it learns to be wrong.
Caught by: the domain classifier's output is unchanged (also: the domain classifier's own
parameters get their normal gradients)."""

from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


def reverse_gradient(module: nn.Module, lambd: float) -> RemovableHandle:
    def hook(module: nn.Module, args: Any, output: torch.Tensor) -> torch.Tensor:
        return -lambd * output

    return module.register_forward_hook(hook)
