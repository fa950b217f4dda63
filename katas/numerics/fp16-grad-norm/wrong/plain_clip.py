"""WRONG: torch.nn.utils.clip_grad_norm_ as it is: for float16 gradients it computes the
norm in float16, which is inf above 65504, and max_norm / inf = 0 zeroes every gradient.
Caught by: clip_fp16_ returns the global norm as a float32 0-dim tensor, exact above 65504
(also: the gradients are scaled by max_norm / total, each rounded once to float16)."""

from collections.abc import Iterable

import torch
from torch import nn


def clip_fp16_(params: Iterable[nn.Parameter], max_norm: float) -> torch.Tensor:
    return torch.nn.utils.clip_grad_norm_(params, max_norm)
