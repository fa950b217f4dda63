"""Hidden checks for to-aliases: ``batches(X, mean, std, batch_size, device)`` yields
``(X[i:i+B] - mean) / std`` on the device without writing into ``X``, even when ``X`` already
is on the device (then ``X[i:i+B].to(device)`` is a view into ``X``).

``X``, ``mean`` and ``std`` are made in the learner process and stay there, so a write into
them is seen; each epoch is run there, and the batches and the tensors come back by value."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain

# (N, F, batch_size): a ragged last batch, a dataset of one sample, a single full batch
CASES = [(10, 3, 4), (1, 5, 3), (6, 2, 6)]
ALIAS = (
    "X[i:i+B] is a view into X, and when X already is on the device, .to(device) returns that "
    "view itself (so do .contiguous(), .float() and non_blocking=True): sub_ and div_ then "
    "write into the dataset. Compute out of place, (b - mean) / std, or ask for a copy "
    "with .to(device, copy=True)"
)


def _data(n: int, features: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """X, and the per-feature mean and std of X, on the CPU."""
    generator = torch.Generator().manual_seed(seed)
    scales = torch.rand(features, generator=generator) * 5 + 0.5
    X = torch.randn(n, features, generator=generator) * scales + 10 * scales
    if n == 1:
        return X, X[0] * 0.9, scales.clone()
    return X, X.mean(0), X.std(0)


def _expected(
    X: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, batch_size: int
) -> list[torch.Tensor]:
    return [(X[i : i + batch_size] - mean) / std for i in range(0, len(X), batch_size)]


def _setup(
    remote: Remote, case: tuple[int, int, int], seed: int, where: torch.device, device: torch.device
) -> tuple[Any, Any, Any, tuple[torch.Tensor, torch.Tensor, torch.Tensor], str]:
    """X on ``where``, mean and std on ``device``, made in the learner process; their copies
    here; and the call, for messages."""
    n, features, batch_size = case
    X, mean, std = _data(n, features, seed)
    theirs = (
        remote.tensor(X.to(where)),
        remote.tensor(mean.to(device)),
        remote.tensor(std.to(device)),
    )
    call = (
        f"batches(X, mean, std, batch_size={batch_size}, device={str(device)!r}) with X of "
        f"shape {(n, features)} on {where}"
    )
    return *theirs, (X, mean, std), call


_EPOCH = "[b.clone() for b in learner.batches(X, mean, std, batch_size, device)]"
"""One epoch, each batch copied as soon as it is yielded (evaluated in the learner process)."""


def _epoch(
    remote: Remote, X: Any, mean: Any, std: Any, batch_size: int, device: torch.device
) -> list:
    got: list = remote.fetch(_EPOCH, X=X, mean=mean, std=std, batch_size=batch_size, device=device)
    return got


def _compare(got: list, expected: list[torch.Tensor], call: str, when: str, hint: str) -> None:
    assert isinstance(got, list) and len(got) == len(expected), (
        f"{when} of {call} yielded {len(got) if isinstance(got, list) else got!r} batches, "
        f"expected {len(expected)}"
    )
    for number, (batch, want) in enumerate(zip(got, expected, strict=True), start=1):
        assert_close(batch, want, what=f"batch {number}", inputs=f"{when} of {call}", hint=hint)


def test_batches(learner: Any, remote: Remote, device: torch.device) -> None:
    """each batch is (X[i:i+B] - mean) / std, float32 on the device"""
    for seed, case in enumerate(CASES):
        X, mean, std, (x, m, s), call = _setup(remote, case, seed, device, device)
        got = _epoch(remote, X, mean, std, case[2], device)
        expected = [b.to(device) for b in _expected(x, m, s, case[2])]
        _compare(got, expected, call, "epoch 1", "")
    # X on the CPU, moved batch by batch; meta tensors have a device but no values
    meta = torch.device("meta")
    X, mean, std, _, call = _setup(remote, CASES[0], 9, torch.device("cpu"), meta)
    try:
        got = _epoch(remote, X, mean, std, CASES[0][2], meta)
    except RuntimeError as exc:
        if "device" not in str(exc):
            raise
        raise AssertionError(
            f"{call} raised RuntimeError: {str(exc).splitlines()[0]} X is on the CPU and mean "
            "and std are on the device: move each batch to device before the arithmetic"
        ) from None
    for number, batch in enumerate(got, start=1):
        batch = plain(batch, f"batch {number}")
        assert batch.device.type == "meta", (
            f"batch {number} of {call} is on {batch.device}, expected meta: move each batch to "
            "device"
        )


def test_dataset_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """X, mean and std are bit for bit unchanged after two epochs"""
    for seed, case in enumerate(CASES, start=10):
        X, mean, std, originals, call = _setup(remote, case, seed, device, device)
        for _ in range(2):
            _epoch(remote, X, mean, std, case[2], device)
        after = remote.value((X, mean, std))
        for name, now, before in zip(("X", "mean", "std"), after, originals, strict=True):
            before = before.to(device)
            changed = int((now != before).sum()) if now.shape == before.shape else now.numel()
            assert torch.equal(now, before), (
                f"two epochs of {call} changed {changed} of the {before.numel()} values of "
                f"{name}: the dataset must only be read. " + (ALIAS if name == "X" else "")
            )


def test_epochs_agree(learner: Any, remote: Remote, device: torch.device) -> None:
    """the second epoch yields the same batches as the first"""
    for seed, case in enumerate(CASES, start=20):
        X, mean, std, (x, m, s), call = _setup(remote, case, seed, device, device)
        _epoch(remote, X, mean, std, case[2], device)
        got = _epoch(remote, X, mean, std, case[2], device)
        expected = [b.to(device) for b in _expected(x, m, s, case[2])]
        _compare(got, expected, call, "epoch 2", "epoch 1 changed the data: " + ALIAS)


_KEPT = "list(learner.batches(X, mean, std, batch_size, device))"
"""One epoch, the batches kept as yielded (evaluated in the learner process)."""


def test_batches_kept(learner: Any, remote: Remote, device: torch.device) -> None:
    """a batch already yielded keeps its values while later batches are made"""
    for seed, case in enumerate(CASES, start=30):
        X, mean, std, (x, m, s), call = _setup(remote, case, seed, device, device)
        got = remote.fetch(_KEPT, X=X, mean=mean, std=std, batch_size=case[2], device=device)
        expected = [b.to(device) for b in _expected(x, m, s, case[2])]
        _compare(
            got,
            expected,
            call,
            "an epoch whose batches are all kept until it ends",
            "a batch the loop kept changed while later batches were made: yield a new tensor "
            "for each batch, not one buffer overwritten in place",
        )
