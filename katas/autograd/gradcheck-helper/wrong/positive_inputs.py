"""WRONG: draws inputs with torch.rand, all in [0, 1): a backward that is wrong for negative
inputs is never exercised.
Caught by: False for a backward that is wrong only for negative inputs."""

import torch


def check_backward(fn, *shapes, device="cpu"):
    inputs = [
        torch.rand(shape, dtype=torch.float64, device=device, requires_grad=True)
        for shape in shapes
    ]
    return torch.autograd.gradcheck(fn, inputs, raise_exception=False)
