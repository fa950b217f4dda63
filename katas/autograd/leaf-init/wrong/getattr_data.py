"""WRONG: .data again, spelled getattr(p, "data") so that no source search finds it.
Caught by: autograd still sees the updates (no .data), by behaviour: backward through a
graph that saved the old weights does not raise."""

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
    for p in params:
        getattr(p, "da" + "ta").sub_(lr * p.grad)
        p.grad = None
