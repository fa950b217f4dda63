"""WRONG: appends param.grad itself, then zeroes it for the next loss: every entry is the
same buffer, and each later zero_() and backward() overwrites all of them.
Caught by: entry i is the gradient of losses[i] alone."""

from collections.abc import Sequence

import torch


def task_gradients(param: torch.Tensor, losses: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    grads = []
    for loss in losses:
        loss.backward(retain_graph=True)
        grads.append(param.grad)
        param.grad.zero_()
    param.grad = torch.stack(grads).mean(dim=0)
    return grads
