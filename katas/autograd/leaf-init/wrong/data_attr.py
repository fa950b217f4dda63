"""WRONG: the old .data idiom. It runs and trains, but hides every change from autograd: a
graph that saved the old weights would silently compute wrong gradients.
Caught by: autograd still sees the updates (no .data)."""

import math
from collections.abc import Iterable

import torch


def init_params(n_in: int, n_out: int, device="cpu") -> tuple[torch.Tensor, torch.Tensor]:
    bound = 1 / math.sqrt(n_in)
    weight = torch.empty(n_out, n_in, device=device, requires_grad=True)
    bias = torch.empty(n_out, device=device, requires_grad=True)
    weight.data.uniform_(-bound, bound)
    bias.data.zero_()
    return weight, bias


def sgd_step_(params: Iterable[torch.Tensor], lr: float) -> None:
    for p in params:
        p.data -= lr * p.grad
        p.grad = None
