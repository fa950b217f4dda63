"""WRONG: the table made a frozen nn.Parameter: it moves with the model, but it is a
parameter, so an optimizer built from parameters() trains it once anything unfreezes the model.
Caught by: the position table is not trained: the only parameters are embed's and proj's."""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


def positions(max_len: int, dim: int) -> torch.Tensor:
    """The fixed sinusoidal position table, (max_len, dim), dim even."""
    pos = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(max_len, dim)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)
    return table


class Encoder(nn.Module):
    def __init__(self, vocab: int, dim: int, max_len: int = 64) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.proj = nn.Linear(dim, dim)
        self.pe = nn.Parameter(positions(max_len, dim), requires_grad=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.proj(self.embed(tokens) + self.pe[: tokens.shape[1]])


def make_loader(dataset: Dataset, batch_size: int, device: torch.device) -> DataLoader:
    """Batches of dataset, in order, ready to be copied to device."""
    # Pinned (page-locked) batches can be copied to a GPU asynchronously.
    return DataLoader(dataset, batch_size=batch_size, pin_memory=device.type == "cuda")


def to_device(batch: object, device: torch.device) -> object:
    """batch with every tensor in it (at any depth of dicts, lists, tuples) moved to device."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)  # queued; ordered before later kernels
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(value, device) for value in batch)
    return batch


if __name__ == "__main__":
    target = torch.device("cuda" if torch.cuda.is_available() else "meta")
    encoder = Encoder(11, 6, max_len=9).to(target)
    print({name: str(t.device) for name, t in encoder.state_dict().items()})
