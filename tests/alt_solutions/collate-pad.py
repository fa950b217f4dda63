"""Second solution for collate-pad: each sequence and a row of True are padded on the right
with F.pad to the longest length, then stacked; labels through torch.as_tensor."""

import torch
import torch.nn.functional as F


def pad_collate(batch, pad_id):
    longest = max(tokens.numel() for tokens, _ in batch)
    rows, masks = [], []
    for tokens, _ in batch:
        missing = longest - tokens.numel()
        rows.append(F.pad(tokens, (0, missing), value=pad_id))
        real = torch.ones_like(tokens, dtype=torch.bool)
        masks.append(F.pad(real, (0, missing), value=False))
    device = rows[0].device
    labels = torch.as_tensor([int(label) for _, label in batch], dtype=torch.long, device=device)
    return torch.stack(rows), torch.stack(masks), labels
