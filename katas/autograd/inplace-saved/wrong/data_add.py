"""WRONG: adds through std.data. Autograd cannot see the write, so backward runs, but exp's
backward multiplies by the changed std (exp(log_std) + min_std) instead of exp(log_std):
log_std.grad is silently wrong.
Caught by: mean.grad and log_std.grad match F.gaussian_nll_loss's (also: gradcheck)."""

import torch


def gaussian_nll(mean, log_std, target, min_std=0.01):
    std = log_std.exp()
    std.data += min_std
    z = (target - mean) / std
    return (std.log() + 0.5 * z**2).mean()
