"""Domain-adversarial training (DANN): the features must learn to fool the domain classifier."""

from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


def reverse_gradient(module: nn.Module, lambd: float) -> RemovableHandle:
    """From now on, the gradient flowing back out of ``module`` into its input is multiplied
    by ``-lambd``. Returns the handle that undoes it."""

    def hook(module: nn.Module, grad_input: Any, grad_output: Any) -> tuple[Any, ...]:
        # grad_input: dL/d(module's inputs), computed with the normal gradient inside the
        # module (so its own parameters still learn). What we return replaces it, and every
        # layer before the module reads the replaced value.
        return tuple(None if g is None else -lambd * g for g in grad_input)

    return module.register_full_backward_hook(hook)


if __name__ == "__main__":
    torch.manual_seed(0)
    head = nn.Linear(3, 2)
    features = torch.randn(4, 3, requires_grad=True)
    print("before:", head(features)[0])
    handle = reverse_gradient(head, 0.5)
    out = head(features)
    print("after: ", out[0])
    out.sum().backward()
    print("features.grad:", features.grad[0], " head.bias.grad:", head.bias.grad)
    handle.remove()
