"""WRONG: the mask has the right values but is int64 (1 and 0): ~mask is then a
bitwise not (-2 and -1), which breaks masked_fill(~mask, ...).
Caught by: mask is True exactly at the real tokens: mask.sum(1) equals the lengths."""

import torch
from torch.nn.utils.rnn import pad_sequence


def pad_collate(
    batch: list[tuple[torch.Tensor, int]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    tokens = pad_sequence([t for t, _ in batch], batch_first=True, padding_value=pad_id)
    mask = torch.zeros(tokens.shape, dtype=torch.int64, device=tokens.device)
    for row, (seq, _) in enumerate(batch):
        mask[row, : len(seq)] = 1
    labels = torch.tensor([label for _, label in batch], device=tokens.device)
    return tokens, mask, labels
