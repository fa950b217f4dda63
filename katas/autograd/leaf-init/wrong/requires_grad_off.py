"""WRONG: switches requires_grad off to get the in-place update through, and never back
on: the next backward() computes no gradient for the weights.
Caught by: after sgd_step_, the tensors are still leaves that require grad."""

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
        p.requires_grad_(False)
        p -= lr * p.grad
        p.grad = None
