"""WRONG: pads the tokens where they are, but builds the lengths, the mask and the labels with
torch.tensor and torch.arange without device=: they land on the CPU, so with tokens on a GPU
the model gets its mask and labels on another device.
Caught by: tokens, mask and labels are on the device of the input tokens."""

import torch
from torch.nn.utils.rnn import pad_sequence


def pad_collate(batch, pad_id):
    sequences = [tokens for tokens, _ in batch]
    tokens = pad_sequence(sequences, batch_first=True, padding_value=pad_id)
    lengths = torch.tensor([len(seq) for seq in sequences])
    mask = torch.arange(tokens.shape[1]) < lengths[:, None]
    labels = torch.tensor([label for _, label in batch], dtype=torch.int64)
    return tokens, mask, labels
