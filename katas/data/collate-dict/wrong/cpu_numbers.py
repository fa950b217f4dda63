"""WRONG: builds the label and weight tensors without a device: they land on the CPU while
the images are elsewhere, and the first operation mixing them fails.
Caught by: labels come out int64 and weights float32, on the images' device."""

import torch


def collate(samples: list[dict]) -> dict:
    return {
        "image": torch.stack([s["image"] for s in samples]),
        "label": torch.tensor([s["label"] for s in samples]),
        "weight": torch.tensor([s["weight"] for s in samples], dtype=torch.float32),
        "boxes": [s["boxes"] for s in samples],
        "id": [s["id"] for s in samples],
    }
