"""WRONG: stacks the boxes when every count in the batch matches, and lists them otherwise:
the type of batch["boxes"] then depends on the batch, and code written for one breaks on
the other.
Caught by: boxes stay a list of each sample's own (n_i, 4) tensor."""

import torch


def collate(samples: list[dict]) -> dict:
    images = torch.stack([s["image"] for s in samples])
    device = images.device
    boxes = [s["boxes"] for s in samples]
    return {
        "image": images,
        "label": torch.tensor([s["label"] for s in samples], dtype=torch.int64, device=device),
        "weight": torch.tensor([s["weight"] for s in samples], dtype=torch.float32, device=device),
        "boxes": torch.stack(boxes) if len({len(b) for b in boxes}) == 1 else boxes,
        "id": [s["id"] for s in samples],
    }
