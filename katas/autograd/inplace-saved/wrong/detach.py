"""WRONG: detaches exp's output before the in-place add. The error goes away because the
graph from log_std is cut: log_std gets no gradient, and the std head never learns.
Caught by: loss.backward() runs and reaches both mean and log_std."""

import torch


def gaussian_nll(mean, log_std, target, min_std=0.01):
    std = log_std.exp().detach()
    std += min_std
    z = (target - mean) / std
    return (std.log() + 0.5 * z**2).mean()
