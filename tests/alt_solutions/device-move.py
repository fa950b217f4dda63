"""Second solution for device-move: a non-persistent buffer, positions made in a loop, and a
to_device written with pattern matching."""

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


def positions(max_len: int, dim: int) -> torch.Tensor:
    table = torch.empty(max_len, dim)
    for i in range(0, dim, 2):
        angle = torch.arange(max_len, dtype=torch.float64) / (10000.0 ** (i / dim))
        table[:, i] = torch.sin(angle).float()
        table[:, i + 1] = torch.cos(angle).float()
    return table


class Encoder(nn.Module):
    def __init__(self, vocab: int, dim: int, max_len: int = 64) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.proj = nn.Linear(dim, dim)
        # derivable from (max_len, dim), so left out of checkpoints
        self.register_buffer("pe", positions(max_len, dim), persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        steps = torch.arange(tokens.shape[1], device=tokens.device)
        return self.proj(self.embed(tokens) + self.pe.index_select(0, steps))


def make_loader(dataset: Dataset, batch_size: int, device: torch.device) -> DataLoader:
    pin = torch.device(device).type == "cuda"
    return DataLoader(dataset, batch_size=batch_size, shuffle=False, pin_memory=pin)


def to_device(batch: object, device: torch.device) -> object:
    match batch:
        case torch.Tensor():
            return batch.to(device=device, non_blocking=True)
        case dict():
            return {k: to_device(v, device) for k, v in batch.items()}
        case list():
            return [to_device(v, device) for v in batch]
        case tuple():
            return tuple(to_device(v, device) for v in batch)
        case _:
            return batch
