"""Data loaders for a small tabular classifier that uses BatchNorm."""

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset


def make_loaders(
    train_ds: Dataset, eval_ds: Dataset, batch_size: int, generator: torch.Generator
) -> tuple[DataLoader, DataLoader]:
    """(train_loader, eval_loader): one for the training loop, one for the evaluation pass."""
    # TODO: training crashes on the last batch of every epoch, and the evaluation
    # predictions do not line up with the labels. Both loaders share these options.
    options = {"batch_size": batch_size, "shuffle": True, "generator": generator}
    return DataLoader(train_ds, **options), DataLoader(eval_ds, **options)


if __name__ == "__main__":
    torch.manual_seed(0)
    features, labels = torch.randn(13, 5), torch.randint(0, 3, (13,))
    data = TensorDataset(features, labels)
    train_loader, eval_loader = make_loaders(data, data, 4, torch.Generator().manual_seed(0))
    print("train batch sizes:", [len(y) for _, y in train_loader])
    print("eval labels:", [y.tolist() for _, y in eval_loader], "stored:", labels.tolist())
    model = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    for x, _ in train_loader:
        model(x)
    print("a training epoch ran")
