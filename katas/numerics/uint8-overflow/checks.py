"""Hidden checks for uint8-overflow: ``blend(a, b)``, the floor of the mean of two uint8 images,
as uint8, also where ``a + b`` exceeds 255."""

from typing import Any

import torch

from trainer.checks import Remote, plain

# (height, width, channels); the first is a single pixel
SHAPES = [(1, 1, 3), (4, 6, 3), (2, 5, 7)]
WIDEN = (
    "Widen before adding, e.g. to int16, and convert the mean back to uint8 at the end: "
    "((a.to(torch.int16) + b) // 2).to(torch.uint8)"
)


def _images(shape: tuple[int, ...], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Two random images; in every other row both are bright, so a + b exceeds 255 there."""
    a = torch.randint(0, 256, shape, dtype=torch.uint8)
    b = torch.randint(0, 256, shape, dtype=torch.uint8)
    a[::2] = torch.randint(128, 256, a[::2].shape, dtype=torch.uint8)
    b[::2] = torch.randint(128, 256, b[::2].shape, dtype=torch.uint8)
    return a.to(device), b.to(device)


def _edges(device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The extremes, as one row of pixel pairs: sums 0, 1, 255, 256, 300, 509, 510."""
    a = torch.tensor([[0, 1, 255, 128, 200, 254, 255, 3, 77]], dtype=torch.uint8)
    b = torch.tensor([[0, 0, 0, 128, 100, 255, 255, 4, 199]], dtype=torch.uint8)
    return a.to(device), b.to(device)


def _reference(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Computed in int64, where nothing overflows."""
    return ((a.long() + b.long()) // 2).to(torch.uint8)


def _why(a: int, b: int, got: float) -> str:
    """The likely cause of one wrong pixel."""
    exact = (a + b) / 2
    if a + b > 255 and got in ((a + b) % 256 // 2, (a + b) % 256 / 2):
        return (
            f"The sum was computed in uint8 and wrapped around: {a} + {b} gives "
            f"{(a + b) % 256}, not {a + b}, before the division. Clamping or dividing "
            f"afterwards cannot bring the lost 256 back. {WIDEN}"
        )
    if got == exact:
        return "The mean was not rounded down: use floor division (//) on integers"
    if got > exact:
        return "The mean was rounded up: it must be rounded down, as (a + b) // 2 does"
    if got == a // 2 + b // 2:
        return "Halving each image before adding loses 1 whenever both values are odd. " + WIDEN
    return WIDEN


def test_values(learner: Any, device: torch.device) -> None:
    """blend(a, b) is the mean of a and b rounded down, also where a + b exceeds 255"""
    torch.manual_seed(0)
    cases = [(_edges(device), "the extreme pixel pairs")]
    cases += [(_images(shape, device), f"random images of shape {shape}") for shape in SHAPES]
    for (a, b), described in cases:
        got = plain(learner.blend(a, b), "blend(a, b)")
        assert got.shape == a.shape, (
            f"blend(a, b) for {described} returned shape {tuple(got.shape)}, expected "
            f"{tuple(a.shape)}, the shape of a and b"
        )
        expected = _reference(a, b)
        if got.is_complex():
            raise AssertionError(f"blend(a, b) for {described} returned complex values")
        wrong = got.cpu().double() != expected.cpu().double()
        if wrong.any():
            # show a pixel whose sum exceeds 255 where there is one: it shows the wrap
            overflow = wrong & (a.long() + b.long() > 255).cpu()
            index = tuple(int(i) for i in (overflow if overflow.any() else wrong).nonzero()[0])
            pa, pb, value = int(a[index]), int(b[index]), float(got[index])
            shown = f"{value:g}" if not value.is_integer() else str(int(value))
            raise AssertionError(
                f"blend(a, b) for {described} is wrong at {int(wrong.sum())} of "
                f"{a.numel()} pixels; at index {list(index)}, a = {pa} and b = {pb}: got "
                f"{shown}, expected ({pa} + {pb}) // 2 = {(pa + pb) // 2}. " + _why(pa, pb, value)
            )


def test_dtype(learner: Any, device: torch.device) -> None:
    """blend(a, b) returns a uint8 tensor of a's shape, on a's device"""
    torch.manual_seed(1)
    for shape in SHAPES:
        a, b = _images(shape, device)
        got = plain(learner.blend(a, b), "blend(a, b)")
        described = f"uint8 images of shape {shape}"
        if got.dtype != torch.uint8:
            why = (
                "a division with / (or torch.div without rounding_mode) returns floats"
                if got.is_floating_point()
                else "the sum was widened, but the mean was not converted back"
            )
            raise AssertionError(
                f"blend(a, b) for {described} returned {got.dtype}, expected torch.uint8: "
                f"{why}. Images are saved, displayed and encoded as uint8; end with "
                ".to(torch.uint8)"
            )
        assert got.shape == a.shape, (
            f"blend(a, b) for {described} returned shape {tuple(got.shape)}, expected "
            f"{tuple(a.shape)}"
        )
        assert got.device == a.device, (
            f"blend(a, b) for {described} on {a.device} returned a tensor on {got.device}: "
            "compute from a and b, and make no tensor on a fixed device"
        )


def test_inputs_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """blend(a, b) leaves a and b unchanged"""
    torch.manual_seed(2)
    for shape in SHAPES:
        a, b = _images(shape, device)
        theirs_a, theirs_b = remote.tensor(a), remote.tensor(b)
        learner.blend(theirs_a, theirs_b)
        after_a, after_b = remote.value((theirs_a, theirs_b))
        for name, before, after in (("a", a, after_a), ("b", b, after_b)):
            assert torch.equal(after, before), (
                f"blend(a, b) changed {name} in place (uint8 images of shape {shape}): the "
                "caller still needs both frames, e.g. for the next step of the crossfade. "
                "Compute the result in a new tensor"
            )
