"""WRONG: adds through std.detach(). The detached tensor shares the version counter, so the
write is still seen and backward still fails.
Caught by: loss.backward() runs and reaches both mean and log_std."""

import torch


def gaussian_nll(mean, log_std, target, min_std=0.01):
    std = log_std.exp()
    std.detach().add_(min_std)
    z = (target - mean) / std
    return (std.log() + 0.5 * z**2).mean()
