"""WRONG: converts the model only: Adam's exp_avg and exp_avg_sq stay float32 on the old
device, and the next step fails (SGD's momentum buffer silently stays float32).
Caught by: the optimizer's moments are converted too, and keep their values (also: the next
step runs, and follows from the kept state)."""

import torch
from torch import nn


def convert(
    model: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device, dtype: torch.dtype
) -> None:
    model.to(device=device, dtype=dtype)
