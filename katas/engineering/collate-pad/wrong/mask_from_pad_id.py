"""WRONG: derives the mask from tokens != pad_id. pad_id (<|endoftext|>) is also a real
token, at the end of every review, so real tokens are masked out.
Caught by: mask is True exactly at the real tokens: mask.sum(1) equals the lengths."""

import torch
from torch.nn.utils.rnn import pad_sequence


def pad_collate(
    batch: list[tuple[torch.Tensor, int]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    tokens = pad_sequence([t for t, _ in batch], batch_first=True, padding_value=pad_id)
    mask = tokens != pad_id
    labels = torch.tensor([label for _, label in batch], device=tokens.device)
    return tokens, mask, labels
