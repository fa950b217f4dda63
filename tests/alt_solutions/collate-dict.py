"""Second solution for collate-dict: default_collate for the fields it handles, with their
dtype and device fixed afterwards, and the ragged boxes listed by hand."""

import torch
from torch.utils.data import default_collate


def collate(samples: list[dict]) -> dict:
    fixed = default_collate(
        [{key: value for key, value in sample.items() if key != "boxes"} for sample in samples]
    )
    device = fixed["image"].device
    fixed["label"] = fixed["label"].to(device, torch.int64)
    fixed["weight"] = fixed["weight"].to(device, torch.float32)
    fixed["boxes"] = [sample["boxes"] for sample in samples]
    return fixed
