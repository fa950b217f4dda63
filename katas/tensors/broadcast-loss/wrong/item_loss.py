"""WRONG: computes the loss as a Python number and wraps it in a new tensor: the value is
right, but the graph is cut, so backward() never reaches pred (it raises, or trains nothing).
Caught by: loss.backward() gives pred.grad[i, 0] = 2 (pred[i, 0] - target[i]) / N."""

import torch


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    errors = [(float(p) - float(t)) ** 2 for p, t in zip(pred[:, 0], target, strict=True)]
    return torch.tensor(sum(errors) / len(errors), dtype=pred.dtype, device=pred.device)
