"""Batching for an object detector: every image has its own number of boxes."""

import torch
from torch.utils.data import default_collate


def collate(samples: list[dict]) -> dict:
    """Turn a list of sample dicts into one batch dict (see the kata for each key)."""
    # TODO: the default collate cannot stack boxes whose counts differ, and it makes the
    # weights float64.
    return default_collate(samples)


if __name__ == "__main__":
    torch.manual_seed(0)
    samples = [
        {
            "image": torch.rand(3, 8, 6),
            "label": i % 3,
            "weight": 0.5 + i,
            "boxes": torch.rand(n, 4),
            "id": f"img-{i}",
        }
        for i, n in enumerate([2, 0, 3])
    ]
    batch = collate(samples)
    for key, value in batch.items():
        if isinstance(value, torch.Tensor):
            print(f"{key}: {value.dtype} tensor of shape {tuple(value.shape)}")
        else:  # a list: the shapes of its tensors, or its items
            print(f"{key}:", [getattr(item, "shape", item) for item in value])
