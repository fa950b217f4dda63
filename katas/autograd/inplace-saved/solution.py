"""Gaussian negative log-likelihood for a regression head that predicts a mean and a log-std."""

import torch


def gaussian_nll(
    mean: torch.Tensor, log_std: torch.Tensor, target: torch.Tensor, min_std: float = 0.01
) -> torch.Tensor:
    """Mean NLL of target under N(mean, std**2), with std = exp(log_std) + min_std.

    The constant log(2 * pi) / 2 is dropped: loss = mean(log(std) + ((target - mean) / std)**2 / 2).
    """
    # exp saves its output for backward (d exp(x) / dx = exp(x)), so that output must not be
    # changed in place: add out of place, which makes a new tensor
    std = log_std.exp() + min_std
    z = (target - mean) / std
    # squaring in place would be safe here (division saves its inputs, not its output), but
    # the memory it saves is not worth the trap
    return (std.log() + 0.5 * z.square()).mean()


if __name__ == "__main__":
    mean = torch.randn(4, 3, requires_grad=True)
    log_std = torch.randn(4, 3, requires_grad=True)
    loss = gaussian_nll(mean, log_std, torch.randn(4, 3))
    print("loss:", loss.item())
    loss.backward()
    print("log_std.grad:", log_std.grad)
