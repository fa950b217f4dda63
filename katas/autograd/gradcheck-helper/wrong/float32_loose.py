"""WRONG: keeps float32 and loosens gradcheck until correct functions pass. Now a backward that
is 1% off passes too.
Caught by: False for a slightly wrong derivative, and for one that ignores grad_output (also:
fn gets float64 inputs)."""

import torch


def check_backward(fn, *shapes, device="cpu"):
    inputs = [torch.randn(shape, device=device, requires_grad=True) for shape in shapes]
    return torch.autograd.gradcheck(
        fn, inputs, eps=1e-3, atol=1e-2, rtol=5e-2, raise_exception=False
    )
