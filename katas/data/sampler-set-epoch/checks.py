"""Hidden checks for sampler-set-epoch: ``train_rank(dataset, rank, world_size, seed, epochs,
batch_size, train_step)`` gives each rank its share of a new permutation every epoch, the same
permutation on every rank, fixed by the seed and the epoch.

Each rank's loop runs in the learner process, one rank after the other, with a recorder as
``train_step`` (defined there); the batches it saw come back as lists of ints and are judged
here. The dataset is a list of sample ids, so the samples are plain ints on every device."""

import math
from typing import Any

import torch

from trainer.checks import Remote

EPOCHS = 3


class _Recorder:
    """A train_step that keeps each batch's sample ids (in the learner process)."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    def __call__(self, batch: object) -> None:
        if isinstance(batch, torch.Tensor):
            self.batches.append([int(v) for v in batch.reshape(-1).tolist()])
        else:
            self.batches.append([-1])  # not a collated batch: named in the message


def _call(n: int, rank: int, world: int, seed: int, batch_size: int) -> str:
    return (
        f"train_rank(dataset of {n}, rank={rank}, world_size={world}, seed={seed}, "
        f"epochs={EPOCHS}, batch_size={batch_size}, train_step)"
    )


def _run_rank(
    learner: Any, remote: Remote, n: int, rank: int, world: int, seed: int, batch_size: int
) -> list[list[int]]:
    """One rank's epochs: the sample ids of each epoch, split by the expected batch counts."""
    call = _call(n, rank, world, seed, batch_size)
    recorder = remote.define(_Recorder)()
    dataset = remote.eval("list(range(n))", n=n)
    try:
        learner.train_rank(dataset, rank, world, seed, EPOCHS, batch_size, recorder)
    except ValueError as exc:
        text = str(exc).splitlines()[0]
        if "mutually exclusive" not in text:
            raise
        raise AssertionError(
            f"{call} raised ValueError: {text}. The sampler decides the order, so the "
            "DataLoader must not shuffle: leave shuffle off and let the DistributedSampler "
            "shuffle"
        ) from None
    batches: list[list[int]] = remote.value(recorder.batches)
    assert [-1] not in batches, f"{call} passed train_step something other than a batch tensor"
    share = math.ceil(n / world)
    per_epoch = math.ceil(share / batch_size)
    seen = sum(len(batch) for batch in batches)
    assert seen == EPOCHS * share, (
        f"{call} passed train_step {seen} samples in {EPOCHS} epochs, expected "
        f"{EPOCHS} x {share}: each epoch a rank gets its share of the dataset, "
        f"ceil({n} / {world}) = {share} samples, not the whole dataset. Use "
        "DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=seed)"
    )
    sizes = [len(batch) for batch in batches]
    last = [share % batch_size] if share % batch_size else []
    expected = ([batch_size] * (share // batch_size) + last) * EPOCHS
    assert sizes == expected, (
        f"{call} passed train_step batches of sizes {sizes}, expected {expected}: batches of "
        "batch_size, each epoch's last one possibly smaller"
    )
    return [
        [sample for batch in batches[e * per_epoch : (e + 1) * per_epoch] for sample in batch]
        for e in range(EPOCHS)
    ]


def test_ranks_cover_the_dataset(learner: Any, remote: Remote, device: torch.device) -> None:
    """each epoch, the ranks' shares together hold every sample"""
    for n, world, batch_size in ((10, 3, 3), (8, 2, 4), (5, 4, 1), (1, 2, 2)):
        seed = n
        shares = [
            _run_rank(learner, remote, n, rank, world, seed, batch_size) for rank in range(world)
        ]
        for epoch in range(EPOCHS):
            together = [sample for share in shares for sample in share[epoch]]
            missing = sorted(set(range(n)) - set(together))
            described = "; ".join(
                f"rank {rank}: {share[epoch]}" for rank, share in enumerate(shares)
            )
            assert not missing, (
                f"in epoch {epoch} of {world} ranks over a dataset of {n} (seed={seed}), the "
                f"ranks got {described}. "
                f"No rank got the samples {missing}, because the shares overlap: expected every "
                f"sample at least once, and {len(together) - n} repeat(s) at most, padding the "
                "shares to equal size. Every rank must take its "
                "share of one permutation, the same on all ranks, so use one "
                "DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=seed) "
                "per rank, with the same seed on all of them"
            )
            assert all(0 <= s < n for s in together), (
                f"in epoch {epoch}, the ranks got samples outside the dataset: {described}"
            )


def test_epochs_differ(learner: Any, remote: Remote, device: torch.device) -> None:
    """each epoch is a new shuffle"""
    n, world, seed, batch_size = 12, 2, 3, 4
    for rank in range(world):
        epochs = _run_rank(learner, remote, n, rank, world, seed, batch_size)
        call = _call(n, rank, world, seed, batch_size)
        for epoch in range(1, EPOCHS):
            assert epochs[epoch] != epochs[epoch - 1], (
                f"{call} gave rank {rank} the same samples in the same order in epochs "
                f"{epoch - 1} and {epoch}: {epochs[epoch]}. DistributedSampler shuffles with "
                "seed + epoch, and its epoch stays where it was until you call "
                "sampler.set_epoch(epoch), at the start of each epoch, before iterating "
                "the loader"
            )


def test_seed(learner: Any, remote: Remote, device: torch.device) -> None:
    """the same seed reproduces every epoch, and another seed gives other orders"""
    n, world, batch_size = 12, 3, 2
    runs = {}
    for seed, other_random_work in (
        (4, "torch.manual_seed(0)"),
        (4, "torch.manual_seed(1)"),
        (5, "torch.manual_seed(0)"),
    ):
        remote.eval(f"({other_random_work}, torch.rand(3))")
        runs.setdefault(seed, []).append(
            [_run_rank(learner, remote, n, rank, world, seed, batch_size) for rank in range(world)]
        )
    first, again = runs[4]
    assert first == again, (
        f"two runs of {world} ranks over a dataset of {n} with seed=4, whose other random work "
        f"differs, gave rank 0 the epochs {first[0]} and {again[0]}: the order must depend on "
        "seed and the epoch alone. Pass seed to the DistributedSampler, and no other source "
        "of randomness"
    )
    assert runs[5][0] != first, (
        f"seed=4 and seed=5 gave rank 0 the same epochs {first[0]}: pass seed to the "
        "DistributedSampler (DistributedSampler(..., seed=seed))"
    )
