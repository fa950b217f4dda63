"""ScaledMatmul in the setup_context style, with einsum for both gradients."""

from typing import Any

import torch


class ScaledMatmul(torch.autograd.Function):
    """``ScaledMatmul.apply(x, W, scale)`` = ``scale * (x @ W)``."""

    @staticmethod
    def forward(x: torch.Tensor, W: torch.Tensor, scale: float) -> torch.Tensor:
        return torch.einsum("...k,kn->...n", x, W) * scale

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
        x, W, scale = inputs
        ctx.save_for_backward(x, W)
        ctx.scale = scale

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, W = ctx.saved_tensors
        needs_x, needs_w, _ = ctx.needs_input_grad
        g = grad_output * ctx.scale
        # "...": the batch dimensions; absent from the output of grad_W, so einsum sums them
        grad_x = torch.einsum("...n,kn->...k", g, W) if needs_x else None
        grad_w = torch.einsum("...k,...n->kn", x, g) if needs_w else None
        return grad_x, grad_w, None
