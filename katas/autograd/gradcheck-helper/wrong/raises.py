"""WRONG: leaves raise_exception at its default (True): a wrong backward raises GradcheckError
instead of returning False.
Caught by: False for a slightly wrong derivative, and for one that ignores grad_output (also:
the other False checks)."""

import torch


def check_backward(fn, *shapes, device="cpu"):
    inputs = [
        torch.randn(shape, dtype=torch.float64, device=device, requires_grad=True)
        for shape in shapes
    ]
    return torch.autograd.gradcheck(fn, inputs)
