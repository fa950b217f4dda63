"""Data loaders for a small tabular classifier that uses BatchNorm."""

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset


def make_loaders(
    train_ds: Dataset, eval_ds: Dataset, batch_size: int, generator: torch.Generator
) -> tuple[DataLoader, DataLoader]:
    """(train_loader, eval_loader): one for the training loop, one for the evaluation pass."""
    # Training: a new seeded order every epoch, and only full batches. The incomplete last
    # batch (here a single sample, which BatchNorm cannot normalise) is dropped; the shuffle
    # puts other samples there next epoch.
    train_loader = DataLoader(
        train_ds, batch_size=batch_size, shuffle=True, generator=generator, drop_last=True
    )
    # Evaluation: every sample once, in dataset order, so predictions line up with labels.
    eval_loader = DataLoader(eval_ds, batch_size=batch_size, shuffle=False, drop_last=False)
    return train_loader, eval_loader


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
