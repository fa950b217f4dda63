"""check_backward with torch.testing.make_tensor inputs, catching GradcheckError itself."""

from collections.abc import Callable
from typing import Any

import torch
from torch.autograd.gradcheck import GradcheckError
from torch.testing import make_tensor


def check_backward(fn: Callable[..., Any], *shapes: tuple[int, ...], device: str = "cpu") -> bool:
    """Whether fn's backward matches finite differences at random float64 inputs."""
    inputs = tuple(
        # uniform in [-3, 3): both signs; float64 so finite differences are meaningful
        make_tensor(s, dtype=torch.float64, device=device, low=-3.0, high=3.0, requires_grad=True)
        for s in shapes
    )
    try:
        return torch.autograd.gradcheck(fn, inputs)
    except GradcheckError:
        return False
