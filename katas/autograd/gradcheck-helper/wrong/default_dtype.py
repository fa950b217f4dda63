"""WRONG: gets float64 by switching the process-wide default dtype, and never switches it
back: every test that runs after the helper creates float64 tensors.
Caught by: check_backward leaves torch's default dtype as it was."""

import torch


def check_backward(fn, *shapes, device="cpu"):
    torch.set_default_dtype(torch.float64)
    inputs = [torch.randn(shape, device=device, requires_grad=True) for shape in shapes]
    return torch.autograd.gradcheck(fn, inputs, raise_exception=False)
