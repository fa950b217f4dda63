"""WRONG: fills a torch.zeros buffer without dtype=: the token ids come back as
float32, which an nn.Embedding refuses.
Caught by: tokens: row i is sequence i, padded on the right with pad_id to the longest."""

import torch


def pad_collate(
    batch: list[tuple[torch.Tensor, int]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    longest = max(len(t) for t, _ in batch)
    device = batch[0][0].device
    tokens = torch.zeros(len(batch), longest, device=device) + pad_id
    mask = torch.zeros(len(batch), longest, dtype=torch.bool, device=device)
    for row, (seq, _) in enumerate(batch):
        tokens[row, : len(seq)] = seq
        mask[row, : len(seq)] = True
    labels = torch.tensor([label for _, label in batch], device=device)
    return tokens, mask, labels
