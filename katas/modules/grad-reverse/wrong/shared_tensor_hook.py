"""WRONG: a forward pre-hook puts a tensor hook on the module's input, the shared features tensor.
That hook sees the SUM of the task and domain gradients, so the task gradient is reversed too.
Caught by: the task loss's gradient into the shared features is not reversed."""

from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


def reverse_gradient(module: nn.Module, lambd: float) -> RemovableHandle:
    def hook(module: nn.Module, args: Any) -> None:
        if args[0].requires_grad:
            args[0].register_hook(lambda grad: -lambd * grad)

    return module.register_forward_pre_hook(hook)
