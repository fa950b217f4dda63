"""WRONG: updates correctly under no_grad but never clears .grad: backward() adds into it,
so every step applies the sum of all gradients so far.
Caught by: two sgd_step_ calls in a row each use only their own loss's gradient."""

import math
from collections.abc import Iterable

import torch


def init_params(n_in: int, n_out: int, device="cpu") -> tuple[torch.Tensor, torch.Tensor]:
    bound = 1 / math.sqrt(n_in)
    weight = torch.empty(n_out, n_in, device=device, requires_grad=True)
    bias = torch.empty(n_out, device=device, requires_grad=True)
    with torch.no_grad():
        weight.uniform_(-bound, bound)
        bias.zero_()
    return weight, bias


def sgd_step_(params: Iterable[torch.Tensor], lr: float) -> None:
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
