"""Hidden checks for seeded-loader: ``make_loader(dataset, batch_size, seed)`` shuffles every
epoch anew, in an order that depends on the seed alone, not on the global random generator."""

from typing import Any

import torch

from trainer.checks import Remote, plain, type_name

OWN_GENERATOR = (
    "Give the loader a generator of its own, seeded once when the loader is built: "
    "DataLoader(..., shuffle=True, generator=torch.Generator().manual_seed(seed))"
)


class _Samples(torch.utils.data.Dataset):
    """n samples whose values are their indices, as 0-dim tensors on the graded device
    (defined in the learner process, where the loader iterates it)."""

    def __init__(self, n: int, device: torch.device) -> None:
        self.values = torch.arange(n, device=device)

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.values[index]


def _build(
    learner: Any, remote: Remote, n: int, batch_size: int, seed: int, device: torch.device
) -> Any:
    """make_loader over a dataset built in the learner process."""
    return learner.make_loader(remote.define(_Samples)(n, device), batch_size, seed)


def _random_work(remote: Remote, *calls: str) -> None:
    """Calls on the learner process's global random generator: the one a loader shuffles with
    when it has no generator of its own, and the one make_loader must leave alone."""
    remote.eval("(" + ", ".join(calls) + ",)")


def _epoch(remote: Remote, loader: Any, call: str) -> tuple[list[int], list[int]]:
    """One pass over the loader, in the learner process: the sample order and the batch
    sizes."""
    batches = remote.eval(
        "[batch for batch in loader] if hasattr(type(loader), '__iter__') else None",
        loader=loader,
    )
    assert batches is not None, (
        f"{call} returned a {type_name(loader)}, expected a DataLoader (something to "
        "iterate over, once per epoch)"
    )
    try:
        fetched = remote.value(batches)  # the whole epoch in one request
    except TypeError:  # a batch that is not plain data: named below
        fetched = list(batches)
    order: list[int] = []
    sizes: list[int] = []
    for batch in fetched:
        assert isinstance(batch, torch.Tensor), (
            f"iterating {call} gave a {type_name(batch)}, expected a batch tensor (the "
            "dataset's samples stacked by the default collate)"
        )
        order.extend(int(v) for v in batch.reshape(-1).tolist())
        sizes.append(batch.numel())
    return order, sizes


def _call(n: int, batch_size: int, seed: int) -> str:
    return f"make_loader(dataset of {n} samples, batch_size={batch_size}, seed={seed})"


def test_epoch(learner: Any, remote: Remote, device: torch.device) -> None:
    """each epoch yields every sample once, in batches of batch_size"""
    _random_work(remote, "torch.manual_seed(0)")
    for n, batch_size, seed in [(10, 3, 5), (7, 7, 6), (1, 4, 7)]:
        call = _call(n, batch_size, seed)
        loader = _build(learner, remote, n, batch_size, seed, device)
        for epoch in (1, 2):
            order, sizes = _epoch(remote, loader, call)
            assert sorted(order) == list(range(n)), (
                f"epoch {epoch} of {call} yielded the samples {order}, expected each of "
                f"0..{n - 1} exactly once"
            )
            expected = [batch_size] * (n // batch_size) + (
                [n % batch_size] if n % batch_size else []
            )
            assert sizes == expected, (
                f"epoch {epoch} of {call} yielded batches of sizes {sizes}, expected {expected} "
                "(the last batch may be smaller; keep it)"
            )


def test_same_seed(learner: Any, remote: Remote, device: torch.device) -> None:
    """the same seed gives the same order, whatever the global generator did in between"""
    n, batch_size, seed = 12, 4, 21
    call = _call(n, batch_size, seed)
    _random_work(remote, "torch.manual_seed(0)")
    first = _build(learner, remote, n, batch_size, seed, device)
    _random_work(remote, "torch.randn(50)")  # the model's initialisation, after the loader
    expected = [_epoch(remote, first, call)[0] for _ in range(2)]

    # another script: other random work before and after building
    _random_work(remote, "torch.manual_seed(1)", "torch.rand(7)")
    again = _build(learner, remote, n, batch_size, seed, device)
    _random_work(remote, "torch.randn(3)")
    got = [_epoch(remote, again, call)[0] for _ in range(2)]
    for epoch in (0, 1):
        assert got[epoch] == expected[epoch], (
            f"two loaders from {call}, in runs whose other random work differs (a model with "
            f"one more layer), gave different orders in epoch {epoch + 1}: {expected[epoch]} "
            f"and {got[epoch]}. The shuffle draws from the global random generator when the "
            "epoch starts, so torch.manual_seed at build time is undone by any random draw in "
            f"between. {OWN_GENERATOR}"
        )

    one = _build(learner, remote, n, batch_size, seed, device)
    two = _build(learner, remote, n, batch_size, seed, device)
    for epoch in (0, 1):
        a, b = _epoch(remote, one, call)[0], _epoch(remote, two, call)[0]
        assert a == b == expected[epoch], (
            f"two loaders built one after the other from {call}, iterated in turn, gave "
            f"{a} and {b} in epoch {epoch + 1}, expected {expected[epoch]} from both: they "
            "share random state, so each one's shuffle moves the other's. Each loader needs "
            "a generator of its own: create it inside make_loader"
        )


def test_epochs_differ(learner: Any, remote: Remote, device: torch.device) -> None:
    """each epoch is a new shuffle"""
    n, batch_size, seed = 12, 5, 3
    call = _call(n, batch_size, seed)
    _random_work(remote, "torch.manual_seed(2)")
    loader = _build(learner, remote, n, batch_size, seed, device)
    orders = [_epoch(remote, loader, call)[0] for _ in range(3)]
    assert not orders[0] == orders[1] == list(range(n)), (
        f"{call} yielded the samples in their stored order, {orders[0]}, epoch after epoch: it "
        "does not shuffle. A fixed order makes every epoch's batches the same, and the "
        "model sees correlated batches if the data is sorted. Use shuffle=True, seeded"
    )
    for later in (1, 2):
        assert orders[later] != orders[0], (
            f"epoch {later + 1} of {call} repeats epoch 1's order {orders[0]}: the shuffle is "
            "re-seeded (or the permutation drawn once) for every epoch. Seed a generator once, "
            "when the loader is built, and let it advance from one epoch to the next"
        )
    assert orders[1] != orders[2], f"epochs 2 and 3 of {call} have the same order {orders[1]}"


def test_seeds_differ(learner: Any, remote: Remote, device: torch.device) -> None:
    """different seeds give different orders"""
    n, batch_size = 12, 4
    _random_work(remote, "torch.manual_seed(3)")
    orders = {}
    for seed in (0, 1, 2, 1234):
        loader = _build(learner, remote, n, batch_size, seed, device)
        orders[seed] = _epoch(remote, loader, _call(n, batch_size, seed))[0]
    seen: dict[tuple[int, ...], int] = {}
    for seed, order in orders.items():
        other = seen.setdefault(tuple(order), seed)
        why = (
            "the loader does not shuffle: use shuffle=True, with a seeded generator"
            if order == list(range(n))
            else "the seed does not reach the shuffle. torch.Generator() starts from the same "
            "fixed seed every time until you call .manual_seed(seed) on it"
        )
        assert other == seed, (
            f"make_loader with seed={other} and with seed={seed} put {n} samples in the same "
            f"order {order}: {why}"
        )


def _rng_state(remote: Remote) -> torch.Tensor:
    """The learner process's global generator's state, fetched."""
    return plain(remote.eval("torch.get_rng_state()"), "torch.get_rng_state()")


def test_global_generator(learner: Any, remote: Remote, device: torch.device) -> None:
    """building the loader leaves the global random generator alone"""
    for seed in (4, 40):
        _random_work(remote, f"torch.manual_seed({seed + 1000})", "torch.rand(5)")
        before = _rng_state(remote)
        _build(learner, remote, 9, 2, seed, device)
        after = _rng_state(remote)
        assert torch.equal(before, after), (
            f"{_call(9, 2, seed)} changed the state of torch's global random generator. "
            "Re-seeding it from a helper silently resets every later random draw of the "
            "program (the model's initialisation, dropout, augmentation) to that seed. "
            + OWN_GENERATOR
        )
