"""Batching for an object detector: every image has its own number of boxes."""

import torch


def collate(samples: list[dict]) -> dict:
    """Turn a list of sample dicts into one batch dict (see the kata for each key)."""
    images = torch.stack([sample["image"] for sample in samples])  # one shape: stack them
    device = images.device
    return {
        "image": images,
        # Python numbers become tensors with the dtype chosen here, not float64 by default
        "label": torch.tensor([s["label"] for s in samples], dtype=torch.int64, device=device),
        "weight": torch.tensor([s["weight"] for s in samples], dtype=torch.float32, device=device),
        # ragged: a list of each image's own (n_i, 4) tensor, empty ones included
        "boxes": [sample["boxes"] for sample in samples],
        "id": [sample["id"] for sample in samples],
    }


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
