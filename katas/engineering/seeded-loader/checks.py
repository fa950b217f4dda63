"""Hidden checks for seeded-loader: ``make_loader(dataset, batch_size, seed)`` shuffles every
epoch anew, in an order that depends on the seed alone, not on the global random generator."""

from collections.abc import Iterable
from types import ModuleType

import torch
from torch.utils.data import Dataset

OWN_GENERATOR = (
    "Give the loader a generator of its own, seeded once when the loader is built: "
    "DataLoader(..., shuffle=True, generator=torch.Generator().manual_seed(seed))"
)


class _Samples(Dataset):
    """n samples whose values are their indices, as 0-dim tensors on the graded device."""

    def __init__(self, n: int, device: torch.device) -> None:
        self.values = torch.arange(n, device=device)

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.values[index]


def _build(learner: ModuleType, n: int, batch_size: int, seed: int, device: torch.device) -> object:
    return learner.make_loader(_Samples(n, device), batch_size, seed)


def _epoch(loader: object, call: str) -> tuple[list[int], list[int]]:
    """One pass over the loader: the sample order and the batch sizes."""
    assert isinstance(loader, Iterable), (
        f"{call} returned a {type(loader).__name__}, expected a DataLoader (something to "
        "iterate over, once per epoch)"
    )
    order: list[int] = []
    sizes: list[int] = []
    for batch in loader:
        assert isinstance(batch, torch.Tensor), (
            f"iterating {call} gave a {type(batch).__name__}, expected a batch tensor (the "
            "dataset's samples stacked by the default collate)"
        )
        order.extend(int(v) for v in batch.reshape(-1).tolist())
        sizes.append(batch.numel())
    return order, sizes


def _call(n: int, batch_size: int, seed: int) -> str:
    return f"make_loader(dataset of {n} samples, batch_size={batch_size}, seed={seed})"


def test_epoch(learner: ModuleType, device: torch.device) -> None:
    """each epoch yields every sample once, in batches of batch_size"""
    torch.manual_seed(0)
    for n, batch_size, seed in [(10, 3, 5), (7, 7, 6), (1, 4, 7)]:
        call = _call(n, batch_size, seed)
        loader = _build(learner, n, batch_size, seed, device)
        for epoch in (1, 2):
            order, sizes = _epoch(loader, call)
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


def test_same_seed(learner: ModuleType, device: torch.device) -> None:
    """the same seed gives the same order, whatever the global generator did in between"""
    n, batch_size, seed = 12, 4, 21
    call = _call(n, batch_size, seed)
    torch.manual_seed(0)
    first = _build(learner, n, batch_size, seed, device)
    torch.randn(50)  # the model's initialisation, after the loader was built
    expected = [_epoch(first, call)[0] for _ in range(2)]

    torch.manual_seed(1)  # another script: other random work before and after building
    torch.rand(7)
    again = _build(learner, n, batch_size, seed, device)
    torch.randn(3)
    got = [_epoch(again, call)[0] for _ in range(2)]
    for epoch in (0, 1):
        assert got[epoch] == expected[epoch], (
            f"two loaders from {call}, in runs whose other random work differs (a model with "
            f"one more layer), gave different orders in epoch {epoch + 1}: {expected[epoch]} "
            f"and {got[epoch]}. The shuffle draws from the global random generator when the "
            "epoch starts, so torch.manual_seed at build time is undone by any random draw in "
            f"between. {OWN_GENERATOR}"
        )

    one = _build(learner, n, batch_size, seed, device)
    two = _build(learner, n, batch_size, seed, device)
    for epoch in (0, 1):
        a, b = _epoch(one, call)[0], _epoch(two, call)[0]
        assert a == b == expected[epoch], (
            f"two loaders built one after the other from {call}, iterated in turn, gave "
            f"{a} and {b} in epoch {epoch + 1}, expected {expected[epoch]} from both: they "
            "share random state, so each one's shuffle moves the other's. Each loader needs "
            "a generator of its own: create it inside make_loader"
        )


def test_epochs_differ(learner: ModuleType, device: torch.device) -> None:
    """each epoch is a new shuffle"""
    n, batch_size, seed = 12, 5, 3
    call = _call(n, batch_size, seed)
    torch.manual_seed(2)
    loader = _build(learner, n, batch_size, seed, device)
    orders = [_epoch(loader, call)[0] for _ in range(3)]
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


def test_seeds_differ(learner: ModuleType, device: torch.device) -> None:
    """different seeds give different orders"""
    n, batch_size = 12, 4
    torch.manual_seed(3)
    orders = {}
    for seed in (0, 1, 2, 1234):
        orders[seed] = _epoch(
            _build(learner, n, batch_size, seed, device), _call(n, batch_size, seed)
        )[0]
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


def test_global_generator(learner: ModuleType, device: torch.device) -> None:
    """building the loader leaves the global random generator alone"""
    for seed in (4, 40):
        torch.manual_seed(seed + 1000)
        torch.rand(5)
        before = torch.get_rng_state()
        _build(learner, 9, 2, seed, device)
        after = torch.get_rng_state()
        assert torch.equal(before, after), (
            f"{_call(9, 2, seed)} changed the state of torch's global random generator. "
            "Re-seeding it from a helper silently resets every later random draw of the "
            "program (the model's initialisation, dropout, augmentation) to that seed. "
            + OWN_GENERATOR
        )
