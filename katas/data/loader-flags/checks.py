"""Hidden checks for loader-flags: ``make_loaders(train_ds, eval_ds, batch_size, generator)``
returns a training loader that shuffles with the generator and drops the incomplete last batch,
and an evaluation loader that yields every sample once, in dataset order.

The datasets, the generators, the loaders and the BatchNorm model live in the learner process
(defined there with ``remote.define``); each epoch's sample indices come back as lists of ints
and are judged here."""

from typing import Any

import torch
from torch import nn

from trainer.checks import Remote, type_name

DIM = 5
# (N, batch_size) where N % batch_size == 1: each epoch would end with a batch of one
RAGGED = [(13, 4), (9, 2), (7, 6)]
EVEN = (12, 4)  # N % batch_size == 0: drop_last drops nothing
TRAIN_FLAGS = (
    "DataLoader(train_ds, batch_size=batch_size, shuffle=True, generator=generator, drop_last=True)"
)


class _Points(torch.utils.data.Dataset):
    """n samples ``(features, index)``: random features, and the sample's index in place of
    its label, so each batch says which samples it holds (defined in the learner process)."""

    def __init__(self, n: int, dim: int, seed: int, device: torch.device) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.features = (torch.randn(n, dim, generator=generator) * 2 + 0.5).to(device)

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.features[index], index


def _indices(loader: object) -> list[list[int]] | str:
    """One pass over ``loader``: each batch's sample indices, or what went wrong (in the
    learner process)."""
    if not hasattr(type(loader), "__iter__"):
        return f"a {type(loader).__name__}, which cannot be iterated"
    epoch = []
    for batch in loader:
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            return f"a batch that is a {type(batch).__name__}, not a (features, labels) pair"
        labels = batch[1]
        if not isinstance(labels, torch.Tensor):
            return f"labels of type {type(labels).__name__}, expected a tensor"
        epoch.append([int(i) for i in labels.reshape(-1).tolist()])
    return epoch


def _train_epoch(loader: object, dim: int, device: torch.device) -> list[int]:
    """One training epoch of a BatchNorm classifier over ``loader``: the batch sizes (in the
    learner process; BatchNorm raises ValueError for a batch of one)."""
    model = nn.Sequential(nn.Linear(dim, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    model.to(device).train()
    sizes = []
    for features, _ in loader:
        model(features)
        sizes.append(len(features))
    return sizes


def _loaders(
    learner: Any, remote: Remote, n: int, batch_size: int, seed: int, device: torch.device
) -> tuple[Any, Any, str]:
    """make_loaders over two datasets of n samples, with a generator seeded with ``seed``,
    built in the learner process; and the call, for messages."""
    points = remote.define(_Points)
    train_ds, eval_ds = points(n, DIM, 100 + n, device), points(n, DIM, 200 + n, device)
    generator = remote.eval("torch.Generator().manual_seed(seed)", seed=seed)
    call = f"make_loaders(train_ds, eval_ds, batch_size={batch_size}, generator) with {n} samples"
    got = learner.make_loaders(train_ds, eval_ds, batch_size, generator)
    pair = isinstance(got, tuple) and len(got) == 2
    assert pair, f"{call} returned {type_name(got)}, expected (train_loader, eval_loader)"
    return got[0], got[1], call


def _epoch(remote: Remote, loader: Any, which: str, call: str) -> list[list[int]]:
    got = remote.value(remote.define(_indices)(loader))
    assert not isinstance(got, str), f"iterating the {which} loader of {call} gave {got}"
    return got


def test_batchnorm_epoch(learner: Any, remote: Remote, device: torch.device) -> None:
    """a training epoch of a BatchNorm model never gets a batch of one"""
    train_epoch = remote.define(_train_epoch)
    for seed, (n, batch_size) in enumerate(RAGGED):
        train, _, call = _loaders(learner, remote, n, batch_size, seed, device)
        try:
            train_epoch(train, DIM, device)
        except ValueError as exc:
            text = str(exc).splitlines()[0]
            raise AssertionError(
                f"a training epoch of a BatchNorm classifier over the training loader of {call} "
                f"raised ValueError: {text}. The last batch of an epoch holds "
                f"{n} % {batch_size} = {n % batch_size} sample, and in training mode BatchNorm "
                "cannot normalise a single sample. Drop the incomplete last batch of the "
                "training loader: drop_last=True"
            ) from None


def test_train_batches(learner: Any, remote: Remote, device: torch.device) -> None:
    """each training epoch yields N // batch_size full batches, no sample twice"""
    for seed, (n, batch_size) in enumerate([*RAGGED, (11, 4), EVEN], start=10):
        train, _, call = _loaders(learner, remote, n, batch_size, seed, device)
        for epoch in (1, 2):
            batches = _epoch(remote, train, "training", call)
            sizes = [len(batch) for batch in batches]
            expected = [batch_size] * (n // batch_size)
            assert sizes == expected, (
                f"epoch {epoch} of the training loader of {call} yielded batches of sizes "
                f"{sizes}, expected {expected}: only full batches. "
                + (
                    "Drop the incomplete last batch (drop_last=True): a batch of one breaks "
                    "BatchNorm, and the shuffle puts other samples last next epoch"
                    if sizes == [*expected, n % batch_size]
                    else ""
                )
            )
            seen = [index for batch in batches for index in batch]
            assert len(set(seen)) == len(seen) and set(seen) <= set(range(n)), (
                f"epoch {epoch} of the training loader of {call} yielded the samples {seen}, "
                f"expected distinct indices from 0..{n - 1}"
            )


def test_train_shuffles(learner: Any, remote: Remote, device: torch.device) -> None:
    """training shuffles with the generator alone, a new order every epoch"""
    n, batch_size = 13, 4

    def epochs(seed: int, other_random_work: str) -> list[list[int]]:
        remote.eval(other_random_work)
        train, _, call = _loaders(learner, remote, n, batch_size, seed, device)
        remote.eval("torch.randn(7)")  # the model's initialisation, after the loaders
        orders = []
        for _ in range(3):
            orders.append(
                [index for batch in _epoch(remote, train, "training", call) for index in batch]
            )
        return orders

    first = epochs(5, "torch.manual_seed(0)")
    assert first[0] != list(range(len(first[0]))), (
        f"the training loader of make_loaders(..., batch_size={batch_size}, generator) over "
        f"{n} samples yields them in stored order, {first[0]}: it does not shuffle. "
        f"Use {TRAIN_FLAGS}"
    )
    assert first[1] != first[0] and first[2] != first[1], (
        f"consecutive epochs of the training loader yield the same order {first[1]}: each "
        "epoch must be a new shuffle. Pass the generator to the DataLoader, seeded once, and "
        "do not re-seed it per epoch"
    )
    again = epochs(5, "(torch.manual_seed(1), torch.rand(3))")
    assert again == first, (
        f"two runs with generators seeded with 5, whose other random work differs, began "
        f"their training with the orders {first[0]} and {again[0]}: the shuffle draws from "
        "torch's global random "
        f"generator, not from the generator make_loaders is given. Use {TRAIN_FLAGS}"
    )
    other = epochs(6, "torch.manual_seed(0)")
    assert other != first, (
        f"generators seeded with 5 and with 6 gave the same training epochs {first}: the "
        "shuffle does not use the generator make_loaders is given"
    )


def test_eval_order(learner: Any, remote: Remote, device: torch.device) -> None:
    """the evaluation loader yields every sample once, in dataset order"""
    for seed, (n, batch_size) in enumerate([*RAGGED, EVEN, (1, 4)], start=20):
        _, evaluation, call = _loaders(learner, remote, n, batch_size, seed, device)
        for number in (1, 2):
            batches = _epoch(remote, evaluation, "evaluation", call)
            seen = [index for batch in batches for index in batch]
            if sorted(seen) == list(range(n)) and seen != list(range(n)):
                why = (
                    "every sample came, but shuffled: the predictions no longer line up with "
                    "the labels stored in dataset order. The evaluation loader must not "
                    "shuffle (shuffle=False, the default)"
                )
            elif len(seen) < n:
                why = (
                    f"{n - len(seen)} sample(s) are missing: drop_last=True leaves the "
                    "incomplete last batch out of the metric. Evaluation needs every sample "
                    "(drop_last=False, the default); in eval() mode BatchNorm accepts a batch "
                    "of one"
                )
            else:
                why = f"expected each of 0..{n - 1} once, in order"
            assert seen == list(range(n)), (
                f"pass {number} of the evaluation loader of {call} yielded the samples "
                f"{seen}: {why}"
            )
            sizes = [len(batch) for batch in batches]
            expected = [batch_size] * (n // batch_size) + (
                [n % batch_size] if n % batch_size else []
            )
            assert sizes == expected, (
                f"the evaluation loader of {call} yielded batches of sizes {sizes}, "
                f"expected {expected} (batches of batch_size, the last one may be smaller)"
            )
