"""Gaussian NLL written with the variance, keeping an in-place add on a private copy."""

import torch


def gaussian_nll(
    mean: torch.Tensor, log_std: torch.Tensor, target: torch.Tensor, min_std: float = 0.01
) -> torch.Tensor:
    """Mean of (log(var) + (target - mean)**2 / var) / 2, var = (exp(log_std) + min_std)**2."""
    # exp saved its output; the clone is a new tensor no op has saved, so writing into it is safe
    std = log_std.exp().clone()
    std.add_(min_std)
    var = std.square()
    return 0.5 * (var.log() + (target - mean).square() / var).mean()
