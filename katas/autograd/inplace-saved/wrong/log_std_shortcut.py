"""WRONG: backward works, but log(std) is replaced by log_std, which is only right when
min_std is 0: log(exp(log_std) + min_std) != log_std.
Caught by: the loss matches F.gaussian_nll_loss; inputs stay unchanged."""

import torch


def gaussian_nll(mean, log_std, target, min_std=0.01):
    std = log_std.exp() + min_std
    z = (target - mean) / std
    return (log_std + 0.5 * z**2).mean()
