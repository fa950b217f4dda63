"""WRONG: fresh buffers for each loss, but with a single loss it leaves that entry as
param.grad itself ("the mean of one gradient is the gradient"). The values are right when
it returns; the next optimizer.zero_grad() then wipes the logged gradient.
Caught by: the returned gradients do not change when training goes on."""

from collections.abc import Sequence

import torch


def task_gradients(param: torch.Tensor, losses: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    grads = []
    for loss in losses:
        param.grad = None  # backward then creates a new tensor
        loss.backward(retain_graph=True)
        grads.append(param.grad)
    if len(grads) > 1:
        param.grad = torch.stack(grads).mean(dim=0)
    return grads
