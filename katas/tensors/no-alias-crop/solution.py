"""Random crops for a dataset that keeps its decoded images in memory."""

import torch


def crop(img: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    """The (C, height, width) patch of a (C, H, W) image whose corner is (top, left).

    The caller normalises the patch in place, so it must not share memory with img.
    """
    # Slicing gives a view; clone() always allocates new memory, whatever the layout.
    return img[:, top : top + height, left : left + width].clone()


if __name__ == "__main__":
    cache = torch.rand(1, 6, 8)  # one grey-scale image, decoded once
    before = cache.clone()
    patch = crop(cache, top=2, left=0, height=3, width=8)
    patch.sub_(0.5).div_(0.25)  # in-place normalisation, as the training loop does
    print("cached image unchanged:", torch.equal(cache, before))
