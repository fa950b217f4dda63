"""WRONG: snapshots correctly, but frees the shared graph on the first backward.
Caught by: entry i is the gradient of losses[i] alone (the second backward raises)."""

from collections.abc import Sequence

import torch


def task_gradients(param: torch.Tensor, losses: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    grads = []
    for loss in losses:
        param.grad = None
        loss.backward()
        grads.append(param.grad.clone())
    param.grad = torch.stack(grads).mean(dim=0)
    return grads
