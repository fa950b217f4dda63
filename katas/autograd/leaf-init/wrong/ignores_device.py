"""WRONG: builds the weights with torch.rand and torch.zeros and forgets the device argument:
they are leaves that require grad, with the right values, but always on the CPU.
Caught by: init_params puts weight and bias on the device it is given."""

import math
from collections.abc import Iterable

import torch


def init_params(
    n_in: int, n_out: int, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    bound = 1 / math.sqrt(n_in)
    weight = (torch.rand(n_out, n_in) * 2 - 1) * bound
    bias = torch.zeros(n_out)
    return weight.requires_grad_(), bias.requires_grad_()


def sgd_step_(params: Iterable[torch.Tensor], lr: float) -> None:
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
