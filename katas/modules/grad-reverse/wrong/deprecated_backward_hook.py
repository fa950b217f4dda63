"""WRONG: the deprecated register_backward_hook. On a module made of several operations (here
a Sequential) its grad_input belongs to the LAST operation inside the module, so the reversal
happens inside the domain classifier, whose first layers then learn from reversed gradients.
Caught by: the domain classifier's own parameters get their normal gradients."""

from typing import Any

from torch import nn
from torch.utils.hooks import RemovableHandle


def reverse_gradient(module: nn.Module, lambd: float) -> RemovableHandle:
    def hook(module: nn.Module, grad_input: Any, grad_output: Any) -> tuple[Any, ...]:
        return tuple(None if g is None else -lambd * g for g in grad_input)

    return module.register_backward_hook(hook)
