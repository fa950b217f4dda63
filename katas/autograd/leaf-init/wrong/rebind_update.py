"""WRONG: p = p - lr * p.grad rebinds the loop variable to a new tensor; the caller's
tensors never change.
Caught by: sgd_step_ moves the caller's tensors by -lr * grad."""

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
        grad = p.grad
        p.grad = None
        p = p - lr * grad
