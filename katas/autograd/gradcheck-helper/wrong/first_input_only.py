"""WRONG: only the first input requires grad, so gradcheck never checks the others.
Caught by: False when only the second input's gradient is wrong (also: fn gets float64
inputs)."""

import torch


def check_backward(fn, *shapes, device="cpu"):
    inputs = [
        torch.randn(shape, dtype=torch.float64, device=device, requires_grad=(i == 0))
        for i, shape in enumerate(shapes)
    ]
    return torch.autograd.gradcheck(fn, inputs, raise_exception=False)
