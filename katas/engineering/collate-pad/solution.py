"""Batching tokenised reviews of different lengths for a sentiment classifier."""

from functools import partial

import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader

EOT = 50256  # GPT-2's <|endoftext|>: it ends every review, and is also used for padding


def pad_collate(
    batch: list[tuple[torch.Tensor, int]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Turn ``[(tokens, label), ...]`` into ``(tokens, mask, labels)`` for the model.

    tokens: (batch, longest) int64, each sequence in its row, padded on the right with pad_id
    mask:   (batch, longest) bool, True where a row holds a real token
    labels: (batch,) int64
    """
    sequences = [tokens for tokens, _ in batch]
    device = sequences[0].device
    tokens = pad_sequence(sequences, batch_first=True, padding_value=pad_id)
    # The mask comes from the lengths, never from tokens != pad_id: EOT is a real token too.
    lengths = torch.tensor([len(seq) for seq in sequences], device=device)
    mask = torch.arange(tokens.shape[1], device=device) < lengths[:, None]
    labels = torch.tensor([label for _, label in batch], dtype=torch.int64, device=device)
    return tokens, mask, labels


if __name__ == "__main__":
    reviews = [
        (torch.tensor([40, 1842, 340, 13, EOT]), 4),
        (torch.tensor([26069, 0, EOT]), 0),
        (torch.tensor([464, 3185, 373, 257, 1310, 890, 13, EOT]), 2),
    ]
    loader = DataLoader(reviews, batch_size=3, collate_fn=partial(pad_collate, pad_id=EOT))
    tokens, mask, labels = next(iter(loader))
    print("tokens:\n", tokens)
    print("mask:\n", mask)
    print("lengths from the mask:", mask.sum(1).tolist(), " labels:", labels.tolist())
