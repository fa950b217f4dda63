"""Second solution for leaf-init: fill the values first and switch requires_grad on after
(a tensor is a leaf until it is computed from one that requires grad); update through
detach(), which shares memory and the version counter, and zero the gradients in place."""

from collections.abc import Iterable

import torch


def init_params(
    n_in: int, n_out: int, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    bound = n_in**-0.5
    weight = torch.rand(n_out, n_in, device=device).mul_(2 * bound).sub_(bound)
    bias = torch.zeros(n_out, device=device)
    return weight.requires_grad_(), bias.requires_grad_()


def sgd_step_(params: Iterable[torch.Tensor], lr: float) -> None:
    for p in params:
        assert p.grad is not None
        p.detach().add_(p.grad, alpha=-lr)
        p.grad.zero_()
