"""WRONG: the shapes are lined up, but the mean is taken over dim 0 only, leaving a (1,)
tensor instead of a 0-d loss. backward() and float(loss) still work, since it holds one
element, but code that stacks, compares or sums losses per step gets surprising shapes.
Caught by: mse(pred, target) is a 0-d tensor, like every loss in torch.nn."""

import torch


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((pred - target.unsqueeze(1)) ** 2).mean(dim=0)
