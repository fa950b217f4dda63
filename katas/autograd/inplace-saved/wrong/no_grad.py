"""WRONG: the in-place add moved under torch.no_grad(). The write still bumps the version
counter of the tensor exp saved, so backward fails exactly as before.
Caught by: loss.backward() runs and reaches both mean and log_std."""

import torch


def gaussian_nll(mean, log_std, target, min_std=0.01):
    std = log_std.exp()
    with torch.no_grad():
        std += min_std
    z = (target - mean) / std
    return (std.log() + 0.5 * z**2).mean()
