"""SiLU as a custom autograd Function: silu(x) = x * sigmoid(x)."""

from typing import Any

import torch


class SiLUFn(torch.autograd.Function):
    """Call it as ``SiLUFn.apply(x)``; it must match ``torch.nn.functional.silu``."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        # TODO: keep what backward will need.
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        # TODO: return dL/dx. This passes the upstream gradient through unchanged,
        # as if silu were the identity.
        return grad_output


if __name__ == "__main__":
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    print("gradcheck:", torch.autograd.gradcheck(SiLUFn.apply, (x,), raise_exception=False))
