"""WRONG: float32 inputs. With gradcheck's eps = 1e-6, float32 finite differences are mostly
rounding noise, so a correct sigmoid fails.
Caught by: True for correct backward passes (also: fn gets float64 inputs)."""

import torch


def check_backward(fn, *shapes, device="cpu"):
    inputs = [torch.randn(shape, device=device, requires_grad=True) for shape in shapes]
    return torch.autograd.gradcheck(fn, inputs, raise_exception=False)
