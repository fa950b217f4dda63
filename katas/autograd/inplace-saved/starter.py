"""Gaussian negative log-likelihood for a regression head that predicts a mean and a log-std."""

import torch


def gaussian_nll(
    mean: torch.Tensor, log_std: torch.Tensor, target: torch.Tensor, min_std: float = 0.01
) -> torch.Tensor:
    """Mean NLL of target under N(mean, std**2), with std = exp(log_std) + min_std.

    The constant log(2 * pi) / 2 is dropped: loss = mean(log(std) + ((target - mean) / std)**2 / 2).
    """
    # A colleague made these ops in place "to save memory". TODO: loss.backward() fails now.
    std = log_std.exp()
    std += min_std  # keep std away from zero
    z = (target - mean) / std
    z **= 2
    return (std.log() + 0.5 * z).mean()


if __name__ == "__main__":
    mean = torch.randn(4, 3, requires_grad=True)
    log_std = torch.randn(4, 3, requires_grad=True)
    loss = gaussian_nll(mean, log_std, torch.randn(4, 3))
    print("loss:", loss.item())
    loss.backward()  # read the error: which op's saved tensor was changed, and by what?
    print("log_std.grad:", log_std.grad)
