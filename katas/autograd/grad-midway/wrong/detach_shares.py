"""WRONG: appends param.grad.detach(), believing it copies: detach() returns a tensor that
shares memory with param.grad, so the next zero_() and backward() overwrite it.
Caught by: entry i is the gradient of losses[i] alone."""

from collections.abc import Sequence

import torch


def task_gradients(param: torch.Tensor, losses: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    grads = []
    for loss in losses:
        if param.grad is not None:
            param.grad.zero_()
        loss.backward(retain_graph=True)
        grads.append(param.grad.detach())
    param.grad = torch.stack(grads).mean(dim=0)
    return grads
