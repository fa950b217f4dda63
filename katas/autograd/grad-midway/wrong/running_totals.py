"""WRONG: clones param.grad, but never clears it between losses: backward() adds into it,
so entry i holds the sum of the first i+1 gradients.
Caught by: entry i is the gradient of losses[i] alone."""

from collections.abc import Sequence

import torch


def task_gradients(param: torch.Tensor, losses: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    grads = []
    for loss in losses:
        loss.backward(retain_graph=True)
        grads.append(param.grad.clone())
    param.grad = torch.stack(grads).mean(dim=0)
    return grads
