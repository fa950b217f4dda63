"""WRONG: pads with 0 whatever pad_id says: the model sees token 0 where it expects
its padding id.
Caught by: tokens: row i is sequence i, padded on the right with pad_id to the longest."""

import torch
from torch.nn.utils.rnn import pad_sequence


def pad_collate(
    batch: list[tuple[torch.Tensor, int]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    sequences = [t for t, _ in batch]
    tokens = pad_sequence(sequences, batch_first=True)
    lengths = torch.tensor([len(t) for t in sequences], device=tokens.device)
    mask = torch.arange(tokens.shape[1], device=tokens.device) < lengths[:, None]
    labels = torch.tensor([label for _, label in batch], device=tokens.device)
    return tokens, mask, labels
