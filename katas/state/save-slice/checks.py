"""Hidden checks for save-slice: ``save_rows(x, n, path)`` writes only the first n rows of x,
which ``torch.load(path)`` gives back, and leaves x alone."""

import io
import re
from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain
from trainer.errors import LearnerRaised

SLACK = 4096  # bytes: torch.save's zip container and pickled header
CLONE = (
    "x[:n] is a view into the storage of x, and torch.save writes a tensor's whole storage. "
    "Copy the rows into a storage of their own first: x[:n].clone() (a slice of leading rows "
    "is already contiguous, so .contiguous() returns the same view, and .detach() shares the "
    "storage too)"
)

# (seed, base shape, how x is made from the base there, n, dtype): each base holds 10^6
# elements, so saving the view's storage writes megabytes
LARGE: list[tuple[int, tuple[int, int], str, int, torch.dtype]] = [
    (1, (2000, 500), "base", 1, torch.float32),
    (2, (2000, 500), "base", 7, torch.float32),
    (3, (800, 1250), "base.t()", 3, torch.float32),  # transposed: not contiguous
    (4, (2000, 500), "base[25:]", 2, torch.float32),  # a slice of a larger tensor
]
SMALL: list[tuple[int, tuple[int, int], str, int, torch.dtype]] = [
    (5, (6, 9), "base", 1, torch.float64),
    (6, (6, 9), "base", 6, torch.float32),  # every row
    (7, (9, 6), "base.t()", 4, torch.float64),
    (8, (7, 4), "base[2:]", 3, torch.int64),
    (9, (5, 3, 4), "base", 2, torch.float32),  # three dimensions
]


def _base(seed: int, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """The same values here and there: a seeded generator of its own, on the CPU."""
    generator = torch.Generator().manual_seed(seed)
    if dtype.is_floating_point:
        return torch.randn(shape, generator=generator, dtype=dtype) * 2 + 0.5
    return torch.randint(-1000, 1000, shape, generator=generator, dtype=dtype)


def _make_there(
    seed: int, shape: list[int], how: str, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """x in the learner process, built from a seeded base there (no megabytes on the wire)."""
    generator = torch.Generator().manual_seed(seed)
    if dtype.is_floating_point:
        base = torch.randn(shape, generator=generator, dtype=dtype) * 2 + 0.5
    else:
        base = torch.randint(-1000, 1000, shape, generator=generator, dtype=dtype)
    base = base.to(device)
    if how == "base.t()":
        return base.t()
    return base[int(how[5:-2]) :] if how != "base" else base


def _expected(seed: int, shape: tuple[int, ...], how: str, dtype: torch.dtype) -> torch.Tensor:
    base = _base(seed, shape, dtype)
    if how == "base.t()":
        return base.t()
    return base[int(how[5:-2]) :] if how != "base" else base


def _x(
    remote: Remote, seed: int, shape: tuple[int, ...], how: str, dtype: torch.dtype, device: Any
) -> Any:
    return remote.define(_make_there)(seed, list(shape), how, dtype, device)


def _describe(x: torch.Tensor, how: str, n: int) -> str:
    layout = {
        "base": "",
        "base.t()": ", a transposed view",
        "base[25:]": ", a slice of a larger tensor",
        "base[2:]": ", a slice of a larger tensor",
    }[how]
    return f"x of shape {tuple(x.shape)}, {x.dtype}{layout}, n={n}"


def _path(remote: Remote, name: str) -> str:
    """A file in the learner process's own folder (the only place it may write)."""
    path: str = remote.eval(
        "__import__('os').path.join(__import__('os').getcwd(), name)", name=name
    )
    return path


def _first_line(exc: BaseException) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().splitlines()
    return text[0][:300] if text else ""


def _save(learner: Any, x: Any, n: int, path: str, described: str) -> None:
    try:
        learner.save_rows(x, n, path)
    except LearnerRaised as exc:
        raise AssertionError(
            f"save_rows(x, n, path) raised {exc.short_type} for {described}: {_first_line(exc)}"
        ) from None


def _size(remote: Remote, path: str, described: str) -> int:
    size = remote.eval(
        "__import__('os').path.getsize(p) if __import__('os').path.isfile(p) else None", p=path
    )
    assert size is not None, (
        f"after save_rows(x, n, path) for {described}, there is no file at path: write it "
        "there with torch.save(..., path)"
    )
    return int(size)


def _read(remote: Remote, path: str) -> bytes:
    data = remote.fetch("__import__('pathlib').Path(p).read_bytes()", p=path)
    assert isinstance(data, bytes)
    return data


def _loaded(data: bytes, described: str) -> torch.Tensor:
    """torch.load with its defaults (weights_only=True), here in the judge."""
    try:
        value = torch.load(io.BytesIO(data), map_location="cpu")
    except Exception as exc:
        raise AssertionError(
            f"torch.load(path) failed on the file save_rows wrote for {described}: "
            f"{_first_line(exc)}. Save the rows tensor itself with torch.save(tensor, path)"
        ) from None
    assert type(value) is torch.Tensor, (
        f"torch.load(path) on the file save_rows wrote for {described} gave a "
        f"{type(value).__name__}, expected a plain tensor holding x[:n]"
    )
    return value


def test_file_size(learner: Any, remote: Remote, device: torch.device) -> None:
    """the file holds only the first n rows (under 2 x their bytes + 4 KiB)"""
    for index, (seed, shape, how, n, dtype) in enumerate(LARGE):
        expected = _expected(seed, shape, how, dtype)
        described = _describe(expected, how, n)
        path = _path(remote, f"rows_{index}.pt")
        _save(learner, _x(remote, seed, shape, how, dtype, device), n, path, described)
        size = _size(remote, path, described)
        rows = expected[:n].numel() * expected.element_size()
        limit = 2 * rows + SLACK
        whole = expected.numel() * expected.element_size()
        assert size < limit, (
            f"save_rows wrote {size:,} bytes for {described}: the rows take {rows:,} bytes, "
            f"so the file should be under {limit:,} bytes"
            + (f" (x itself takes {whole:,} bytes). " if size >= whole else ". ")
            + CLONE
        )
        assert_close(
            _loaded(_read(remote, path), described),
            expected[:n],
            what="torch.load(path)",
            inputs=described,
        )


def test_round_trip(learner: Any, remote: Remote, device: torch.device) -> None:
    """torch.load(path) gives back x[:n]: the same shape, dtype and values"""
    for index, (seed, shape, how, n, dtype) in enumerate(SMALL):
        expected = _expected(seed, shape, how, dtype)
        described = _describe(expected, how, n)
        path = _path(remote, f"small_{index}.pt")
        _save(learner, _x(remote, seed, shape, how, dtype, device), n, path, described)
        _size(remote, path, described)
        got = _loaded(_read(remote, path), described)
        assert_close(got, expected[:n], what="torch.load(path)", inputs=described)


def test_x_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """x keeps its shape and values"""
    for index, (seed, shape, how, n, dtype) in enumerate([LARGE[1], LARGE[2], SMALL[3]]):
        expected = _expected(seed, shape, how, dtype)
        described = _describe(expected, how, n)
        x = _x(remote, seed, shape, how, dtype, device)
        _save(learner, x, n, _path(remote, f"unchanged_{index}.pt"), described)
        after = plain(x, "x")
        assert after.shape == expected.shape, (
            f"save_rows(x, n, path) changed the shape of x from {tuple(expected.shape)} to "
            f"{tuple(after.shape)} ({described}): the caller still needs all of x. Copy the "
            "rows you save instead of shrinking x (resize_ keeps the storage anyway)"
        )
        assert torch.equal(after.cpu(), expected), (
            f"save_rows(x, n, path) changed the values of x ({described}): leave x as it was"
        )
