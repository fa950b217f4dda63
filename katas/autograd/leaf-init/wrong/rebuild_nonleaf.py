"""WRONG: dodges the in-place error by rebuilding the weights (w = w * 0 + init): the
result has a grad_fn, so it is not a leaf and backward() never fills its .grad.
Caught by: init_params returns float32 leaf tensors that require grad."""

import math
from collections.abc import Iterable

import torch


def init_params(n_in: int, n_out: int, device="cpu") -> tuple[torch.Tensor, torch.Tensor]:
    bound = 1 / math.sqrt(n_in)
    weight = torch.zeros(n_out, n_in, device=device, requires_grad=True)
    bias = torch.zeros(n_out, device=device, requires_grad=True)
    weight = weight * 0 + torch.empty(n_out, n_in, device=device).uniform_(-bound, bound)
    bias = bias * 0
    return weight, bias


def sgd_step_(params: Iterable[torch.Tensor], lr: float) -> None:
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
