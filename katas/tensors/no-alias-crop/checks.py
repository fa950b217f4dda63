"""Hidden checks for no-alias-crop: ``crop`` returns a patch that owns its memory."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain, same_device

Box = tuple[int, int, int, int]  # top, left, height, width


def _image(
    remote: Remote,
    shape: tuple[int, int, int],
    device: torch.device,
    dtype: torch.dtype,
    channels_last: bool,
) -> tuple[torch.Tensor, Any]:
    """A (C, H, W) image, here and in the learner process (the same values and layout);
    channels_last builds it as (H, W, C), as decoders do, then permutes."""
    channels, height, width = shape
    stored = (height, width, channels) if channels_last else shape
    if dtype == torch.uint8:
        data = torch.randint(0, 256, stored, dtype=dtype)
    else:
        data = torch.rand(stored, dtype=dtype) * 2 - 0.5
    data = data.to(device)  # contiguous, so .to() keeps it; the view is made on the device
    # tensors travel as contiguous copies: the learner's view is made in its own process
    theirs = remote.tensor(data)
    if channels_last:
        return data.permute(2, 0, 1), theirs.permute(2, 0, 1)
    return data, theirs


def _describe(img: torch.Tensor, box: Box, layout: str) -> str:
    top, left, height, width = box
    return (
        f"a {img.dtype} image of shape {tuple(img.shape)} ({layout}), "
        f"top={top}, left={left}, height={height}, width={width}"
    )


LAYOUTS = [("contiguous", False), ("channels last: an (H, W, C) tensor permuted", True)]


def test_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """crop(img, top, left, height, width) is img[:, top:top+height, left:left+width]"""
    torch.manual_seed(0)
    cases: list[tuple[tuple[int, int, int], Box]] = [
        ((3, 7, 9), (2, 3, 4, 5)),
        ((1, 6, 8), (0, 5, 1, 3)),  # one row
        ((2, 5, 4), (1, 2, 3, 1)),  # one column
        ((3, 8, 6), (0, 0, 8, 6)),  # the whole image
    ]
    for dtype in (torch.uint8, torch.float32):
        for layout, channels_last in LAYOUTS:
            for shape, box in cases:
                img, theirs = _image(remote, shape, device, dtype, channels_last)
                top, left, height, width = box
                expected = img[:, top : top + height, left : left + width].clone()
                assert_close(
                    learner.crop(theirs, *box),
                    expected,
                    what="crop(img, top, left, height, width)",
                    inputs=_describe(img, box, layout),
                    rtol=0,
                    atol=0,
                    hint="Rows come first: top and height index H (dim 1), left and width "
                    "index W (dim 2), and the dtype stays the image's",
                )


def _assert_independent(
    learner: Any, img: torch.Tensor, theirs: Any, box: Box, layout: str
) -> None:
    described = _describe(img, box, layout)
    patch = learner.crop(theirs, *box)
    plain(patch, "crop(img, ...)")
    try:
        patch.add_(1)  # what the caller's in-place normalisation does (in the learner process)
    except RuntimeError as exc:
        raise AssertionError(
            f"writing into the crop raised RuntimeError ({described}): {exc}. The crop must be "
            "an ordinary tensor the caller can change in place"
        ) from None
    changed = int((plain(theirs, "img") != img).sum())
    assert changed == 0, (
        f"after patch.add_(1) on the crop, {changed} values of img changed too ({described}): "
        "the crop shares img's memory, so in-place normalisation corrupts the cached image. "
        "A slice is a view of img, and calls that may return their input unchanged "
        "(.contiguous(), .to(), .detach(), torch.as_tensor) do not copy it"
    )


def test_rows(learner: Any, remote: Remote, device: torch.device) -> None:
    """writing into a crop of whole rows leaves img unchanged"""
    torch.manual_seed(1)
    for dtype in (torch.float32, torch.uint8):
        for layout, channels_last in LAYOUTS:
            for shape, box in [((1, 6, 8), (2, 0, 3, 8)), ((3, 7, 5), (4, 0, 1, 5))]:
                img, theirs = _image(remote, shape, device, dtype, channels_last)
                _assert_independent(learner, img, theirs, box, layout)


def test_columns(learner: Any, remote: Remote, device: torch.device) -> None:
    """writing into a crop of whole columns leaves img unchanged"""
    torch.manual_seed(2)
    for dtype in (torch.float32, torch.uint8):
        for layout, channels_last in LAYOUTS:
            for shape, box in [((1, 6, 8), (0, 3, 6, 4)), ((3, 7, 5), (0, 2, 7, 1))]:
                img, theirs = _image(remote, shape, device, dtype, channels_last)
                _assert_independent(learner, img, theirs, box, layout)


def test_whole_image(learner: Any, remote: Remote, device: torch.device) -> None:
    """writing into a crop of the whole image leaves img unchanged"""
    torch.manual_seed(3)
    for dtype in (torch.float32, torch.uint8):
        for layout, channels_last in LAYOUTS:
            for shape in ((3, 5, 4), (1, 2, 9)):
                img, theirs = _image(remote, shape, device, dtype, channels_last)
                _assert_independent(learner, img, theirs, (0, 0, shape[1], shape[2]), layout)


def test_device(learner: Any, device: torch.device) -> None:
    """the crop is on img's device"""
    torch.manual_seed(4)
    # meta tensors carry a device and a dtype but no values: on a machine without a GPU they
    # show a patch allocated on the CPU whatever img's device is. A band of whole rows of a
    # one-channel image keeps the meta case cheap (most ops on meta tensors load a large part
    # of torch first)
    meta = torch.device("meta")
    for where, shape, box in ((device, (3, 5, 6), (1, 2, 3, 2)), (meta, (1, 5, 6), (1, 0, 3, 6))):
        for dtype in (torch.uint8, torch.float64):
            img = (torch.rand(shape) * 200).to(dtype).to(where)
            described = _describe(img, box, f"on {where}")
            try:
                patch = learner.crop(img, *box)
            except RuntimeError as exc:
                raise AssertionError(
                    f"crop(img, top, left, height, width) raised RuntimeError for {described}: "
                    f"{str(exc).splitlines()[0]} The patch must be made on img's device: "
                    "torch.empty(...) and torch.zeros(...) allocate on the CPU unless told "
                    "otherwise (img.new_empty(...) and clone() follow img)"
                ) from None
            got = patch.device
            assert same_device(got, where), (
                f"crop(img, top, left, height, width) returned a patch on {got}, expected "
                f"{where} ({described}): torch.empty(...) and torch.zeros(...) allocate on the "
                "CPU unless told otherwise; img.new_empty(...) and clone() follow img"
            )
