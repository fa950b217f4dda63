"""WRONG: drops the samples that have no boxes, as if they were broken: the batch loses its
negative examples, and its size no longer matches the sampler's.
Caught by: images are stacked into one (B, C, H, W) tensor, every sample kept."""

import torch


def collate(samples: list[dict]) -> dict:
    samples = [s for s in samples if len(s["boxes"]) > 0] or samples[:1]
    images = torch.stack([s["image"] for s in samples])
    device = images.device
    return {
        "image": images,
        "label": torch.tensor([s["label"] for s in samples], dtype=torch.int64, device=device),
        "weight": torch.tensor([s["weight"] for s in samples], dtype=torch.float32, device=device),
        "boxes": [s["boxes"] for s in samples],
        "id": [s["id"] for s in samples],
    }
