"""WRONG: turns the sum into a mean "as it goes" by scaling param.grad after each backward.
The per-loss entries are right, but every later backward adds an unscaled gradient to
the already scaled ones, so the final param.grad is not the mean.
Caught by: param.grad ends up holding the mean of the per-loss gradients."""

from collections.abc import Sequence

import torch


def task_gradients(param: torch.Tensor, losses: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    n = len(losses)
    grads = []
    for loss in losses:
        before = torch.zeros_like(param) if param.grad is None else param.grad.clone()
        loss.backward(retain_graph=True)
        grads.append(param.grad - before)
        param.grad.mul_(1 / n)
    return grads
