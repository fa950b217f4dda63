"""Hidden checks for iterable-sharding: ``ShardedStream(records)`` yields every record exactly
once per epoch, iterated directly or through a DataLoader with 0, 1 or 2 workers.

The dataset and the loaders live in the learner process (the loader's workers are forked
from it); each epoch's records come back as a list of ints and are counted here. The records
are plain ints on every device: what is tested is which process yields which record."""

from collections import Counter
from typing import Any

import torch

from trainer.checks import Remote

INFO_NONE = (
    "get_worker_info() returns None in the main process, which is where the dataset is "
    "iterated without workers: then this process reads every record"
)


def _records(n: int, seed: int) -> list[int]:
    """n distinct record ids, in no particular order."""
    generator = torch.Generator().manual_seed(seed)
    return [1000 + int(v) for v in torch.randperm(10 * n, generator=generator)[:n]]


def _loaded(dataset: object, workers: int, batch_size: int, seed: int) -> list[int]:
    """One epoch of a DataLoader over ``dataset``: the records, batch after batch (in the
    learner process)."""
    from torch.utils.data import DataLoader

    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=workers, generator=generator)
    return [int(v) for batch in loader for v in batch.reshape(-1).tolist()]


def _scene(n: int, workers: int, batch_size: int) -> str:
    return (
        f"DataLoader(ShardedStream(records), batch_size={batch_size}, "
        f"num_workers={workers}) over {n} records"
    )


def _epoch(remote: Remote, dataset: Any, n: int, workers: int, batch_size: int) -> list[int]:
    scene = "an epoch of " + _scene(n, workers, batch_size)
    try:
        got: list[int] = remote.value(remote.define(_loaded)(dataset, workers, batch_size, 7))
    except (AttributeError, TypeError, RuntimeError, ValueError, IndexError) as exc:
        # a worker's error comes wrapped: "Caught AttributeError in DataLoader worker process
        # 0. Original Traceback ...", the error itself on the last line
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        text = lines[-1] if lines else ""
        raise AssertionError(
            f"{scene} raised {getattr(exc, 'short_type', type(exc).__name__)}: {text}"
            + (f". {INFO_NONE}" if "NoneType" in text else "")
        ) from None
    return got


def _judge(got: list[int], records: list[int], scene: str) -> None:
    counts, expected = Counter(got), Counter(records)
    twice = sorted(r for r, c in counts.items() if c > 1)
    missing = sorted(r for r in expected if r not in counts)
    if twice:
        raise AssertionError(
            f"{scene} yielded {len(got)} records for {len(records)}: records such as "
            f"{twice[:4]} came {counts[twice[0]]} times. Each worker runs __iter__ on its own "
            "copy of the dataset, so unless it keeps only its own part, every worker yields "
            "everything. Call get_worker_info() inside __iter__ (in __init__ it runs in the "
            "main process and returns None) and keep every num_workers-th record from "
            "position id"
        )
    if missing:
        raise AssertionError(
            f"{scene} never yielded the records {missing[:4]}"
            + (" and more" if len(missing) > 4 else "")
            + f" (it yielded {len(got)} of {len(records)}): the workers' parts must cover "
            "every record, the remainder of a length that num_workers does not divide "
            "included (a contiguous split of n // num_workers each drops it)"
        )
    unknown = sorted(set(counts) - set(expected))
    assert not unknown, f"{scene} yielded records that are not in the stream: {unknown[:4]}"


def test_no_workers(learner: Any, remote: Remote, device: torch.device) -> None:
    """without workers, every record comes out once, in order"""
    for n, batch_size in ((7, 2), (1, 1)):
        records = _records(n, n)
        dataset = learner.ShardedStream(records)
        try:
            direct: list = remote.value(remote.eval("list(dataset)", dataset=dataset))
        except AttributeError as exc:
            raise AssertionError(
                f"list(ShardedStream(records)) over {n} records, with no DataLoader, raised "
                f"AttributeError: {str(exc).splitlines()[0]}. {INFO_NONE}"
            ) from None
        assert direct == records, (
            f"list(ShardedStream(records)) over {n} records gave {direct}, expected the "
            f"records in order, {records}"
        )
        got = _epoch(remote, dataset, n, 0, batch_size)
        assert got == records, (
            f"an epoch of {_scene(n, 0, batch_size)}, after one list(dataset), yielded {got}, "
            f"expected the records in order, {records}"
            + (": the first pass used up the stream" if not got else "")
        )


def test_one_worker(learner: Any, remote: Remote, device: torch.device) -> None:
    """with 1 worker, every record comes out exactly once"""
    n, batch_size = 5, 2
    records = _records(n, 10)
    got = _epoch(remote, learner.ShardedStream(records), n, 1, batch_size)
    _judge(got, records, "an epoch of " + _scene(n, 1, batch_size))


def test_two_workers(learner: Any, remote: Remote, device: torch.device) -> None:
    """with 2 workers, every record comes out exactly once, whatever the length"""
    for n, batch_size in ((7, 2), (1, 1)):
        records = _records(n, 20 + n)
        got = _epoch(remote, learner.ShardedStream(records), n, 2, batch_size)
        _judge(got, records, "an epoch of " + _scene(n, 2, batch_size))


def test_epochs(learner: Any, remote: Remote, device: torch.device) -> None:
    """each new epoch yields every record again"""
    n = 6
    records = _records(n, 30)
    dataset = learner.ShardedStream(records)
    for epoch in (1, 2, 3):
        got = _epoch(remote, dataset, n, 0, 4)
        assert got == records, (
            f"epoch {epoch} of {_scene(n, 0, 4)} yielded {got}, expected {records}: "
            + (
                "an earlier epoch used up the stream. Start reading in __iter__, which runs "
                "once per epoch; an iterator made in __init__ is exhausted after one"
                if epoch > 1
                else "every record, in order"
            )
        )
