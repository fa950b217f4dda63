"""Domain-adversarial training (DANN): the features must learn to fool the domain classifier."""

from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle


def reverse_gradient(module: nn.Module, lambd: float) -> RemovableHandle:
    """From now on, the gradient flowing back out of ``module`` into its input is multiplied
    by ``-lambd``. Returns the handle that undoes it."""

    def hook(module: nn.Module, args: Any, output: torch.Tensor) -> torch.Tensor:
        # TODO: the features now get a reversed gradient, but the domain classifier itself
        # predicts the opposite domain, and training makes it worse instead of better.
        return -lambd * output

    return module.register_forward_hook(hook)


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
