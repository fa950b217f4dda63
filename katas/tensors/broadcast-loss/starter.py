"""The training loss of a regression model with a one-output head."""

import torch


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the batch.

    pred: (N, 1), what nn.Linear(features, 1) returns; target: (N,), from the dataset.
    Returns a 0-d tensor: the mean over i of (pred[i, 0] - target[i]) ** 2.
    """
    # TODO: pred - target does not have N elements. Print its shape.
    return ((pred - target) ** 2).mean()


if __name__ == "__main__":
    target = torch.tensor([1.0, 2.0, 3.0])
    pred = target.unsqueeze(1)  # a perfect prediction, shaped like the head's output
    print("loss of a perfect prediction (expect 0):", mse(pred, target))
