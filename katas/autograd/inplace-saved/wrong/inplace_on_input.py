"""WRONG: avoids the saved-output trap by subtracting in place from the caller's target, which
no op has saved yet. The gradients of mean and log_std are right, but the caller's target is
overwritten (a leaf target that requires grad would raise).
Caught by: the loss matches F.gaussian_nll_loss; inputs stay unchanged."""

import torch


def gaussian_nll(mean, log_std, target, min_std=0.01):
    std = log_std.exp() + min_std
    z = target.sub_(mean).div_(std)
    return (std.log() + 0.5 * z**2).mean()
