"""WRONG: the inputs do not require grad, so there is nothing to check: gradcheck raises
"gradcheck expects at least one input tensor to require gradient".
Caught by: True for correct backward passes (also: every other check)."""

import torch


def check_backward(fn, *shapes, device="cpu"):
    inputs = [torch.randn(shape, dtype=torch.float64, device=device) for shape in shapes]
    return torch.autograd.gradcheck(fn, inputs, raise_exception=False)
