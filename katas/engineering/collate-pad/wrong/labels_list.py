"""WRONG: pads and masks right, but returns the labels as a Python list: cross_entropy
wants an int64 tensor of class indices.
Caught by: labels come back as an int64 tensor, in batch order."""

import torch
from torch.nn.utils.rnn import pad_sequence


def pad_collate(
    batch: list[tuple[torch.Tensor, int]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    sequences = [t for t, _ in batch]
    tokens = pad_sequence(sequences, batch_first=True, padding_value=pad_id)
    lengths = torch.tensor([len(t) for t in sequences], device=tokens.device)
    mask = torch.arange(tokens.shape[1], device=tokens.device) < lengths[:, None]
    return tokens, mask, [label for _, label in batch]
