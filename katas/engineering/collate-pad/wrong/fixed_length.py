"""WRONG: pads every batch to a fixed MAX_LEN instead of its own longest sequence:
most of each batch is padding the model still computes on.
Caught by: tokens: row i is sequence i, padded on the right with pad_id to the longest."""

import torch


def pad_collate(
    batch: list[tuple[torch.Tensor, int]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    max_len = 16
    device = batch[0][0].device
    tokens = torch.full((len(batch), max_len), pad_id, dtype=torch.int64, device=device)
    mask = torch.zeros(len(batch), max_len, dtype=torch.bool, device=device)
    for row, (seq, _) in enumerate(batch):
        tokens[row, : len(seq)] = seq
        mask[row, : len(seq)] = True
    labels = torch.tensor([label for _, label in batch], device=device)
    return tokens, mask, labels
