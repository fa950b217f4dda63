"""WRONG: pads the boxes with zeros into one (B, max_n, 4) tensor: it stacks, but the
padding rows look like real boxes at (0, 0, 0, 0) to every consumer that does not mask them.
Caught by: boxes stay a list of each sample's own (n_i, 4) tensor."""

import torch
from torch.nn.utils.rnn import pad_sequence


def collate(samples: list[dict]) -> dict:
    images = torch.stack([s["image"] for s in samples])
    device = images.device
    return {
        "image": images,
        "label": torch.tensor([s["label"] for s in samples], dtype=torch.int64, device=device),
        "weight": torch.tensor([s["weight"] for s in samples], dtype=torch.float32, device=device),
        "boxes": pad_sequence([s["boxes"] for s in samples], batch_first=True),
        "id": [s["id"] for s in samples],
    }
