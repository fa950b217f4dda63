"""Hidden checks for balanced-sampler: ``balanced_sampler(labels, num_samples, generator)``
draws dataset indices with replacement, each class about 1/C of the time, each sample of a
class equally likely, from the given generator alone.

The labels stay on the CPU on every device: a sampler's weights and its torch.Generator live
there. The sampler and its generator are built in the learner process; each pass's indices
come back as one int64 tensor, and the class shares are computed here."""

from typing import Any

import torch

from trainer.checks import Remote

TOLERANCE = 0.02
# (class sizes, num_samples): the 90/9/1 dataset drawn as many times as it has samples, and
# four classes drawn more often than there are samples
CASES = [([27000, 2700, 300], 30000), ([1500, 900, 450, 150], 20000)]
PER_SAMPLE = "WeightedRandomSampler wants one weight per sample: weights = (1 / counts)[labels]"


def _labels(sizes: list[int], seed: int) -> torch.Tensor:
    """Class ids with ``sizes[c]`` samples of class c, shuffled."""
    labels = torch.cat([torch.full((size,), c) for c, size in enumerate(sizes)])
    return labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))]


def _call(sizes: list[int], num_samples: int) -> str:
    return (
        f"balanced_sampler(labels, num_samples={num_samples}, generator) for "
        f"{sum(sizes)} samples in classes of {sizes}"
    )


_DRAW = "torch.tensor([int(index) for index in sampler], dtype=torch.int64)"
"""One pass over the sampler (evaluated in the learner process)."""


def _draw(remote: Remote, sampler: Any, call: str) -> torch.Tensor:
    try:
        draws = remote.fetch(_DRAW, sampler=sampler)
    except RuntimeError as exc:
        text = str(exc).splitlines()[0]
        if "without replacement" not in text:
            raise
        raise AssertionError(
            f"iterating {call} raised RuntimeError: {text}. Without replacement the sampler "
            "is a weighted permutation: it cannot draw more indices than the dataset has, "
            "and it never repeats a rare sample. Use replacement=True"
        ) from None
    assert isinstance(draws, torch.Tensor)
    return draws


def _sampler(
    learner: Any, remote: Remote, labels: torch.Tensor, num_samples: int, seed: int
) -> Any:
    """The learner's sampler, built in the learner process with a generator seeded there."""
    generator = remote.eval("torch.Generator().manual_seed(seed)", seed=seed)
    return learner.balanced_sampler(labels, num_samples, generator)


def test_balanced(learner: Any, remote: Remote, device: torch.device) -> None:
    """each class makes up 1/C of the draws, within 0.02"""
    for seed, (sizes, num_samples) in enumerate(CASES):
        labels, call = _labels(sizes, seed), _call(sizes, num_samples)
        sampler = _sampler(learner, remote, labels, num_samples, seed)
        length = remote.eval("len(sampler)", sampler=sampler)
        assert length == num_samples, f"len({call}) is {length}, expected {num_samples}"
        draws = _draw(remote, sampler, call)
        assert len(draws) == num_samples, (
            f"one pass over {call} yielded {len(draws)} indices, expected {num_samples}"
        )
        outside = draws[(draws < 0) | (draws >= len(labels))]
        assert len(outside) == 0, (
            f"{call} drew indices outside the dataset, such as {outside[:5].tolist()}: "
            f"expected 0..{len(labels) - 1}"
        )
        shares = torch.bincount(labels[draws], minlength=len(sizes)).double() / num_samples
        listed = ", ".join(f"{share:.3f}" for share in shares.tolist())
        natural = [size / sum(sizes) for size in sizes]
        why = {
            True: "the dataset's own proportions: without replacement, drawing as many "
            "indices as there are samples is just a shuffle. Use replacement=True",
            False: "each sample's weight must be 1 / (the size of its class), so that every "
            "class has the same total weight. " + PER_SAMPLE,
        }[bool(torch.allclose(shares, torch.tensor(natural, dtype=torch.float64), atol=0.01))]
        assert bool(((shares - 1 / len(sizes)).abs() <= TOLERANCE).all()), (
            f"{call} drew the classes in the shares {listed}, expected "
            f"{1 / len(sizes):.3f} ± {TOLERANCE} each: {why}"
        )


def test_whole_dataset(learner: Any, remote: Remote, device: torch.device) -> None:
    """the draws cover the whole dataset: every sample of the rarest class comes up"""
    sizes, num_samples = CASES[0]
    labels, call = _labels(sizes, 10), _call(sizes, num_samples)
    draws = _draw(remote, _sampler(learner, remote, labels, num_samples, 10), call)
    distinct = draws.unique()
    if len(distinct) <= len(sizes):
        raise AssertionError(
            f"{call} drew only the indices {distinct.tolist()}, of a dataset of {len(labels)}: "
            f"the weights have one entry per class, so the sampler draws from indices "
            f"0..{len(sizes) - 1} alone. {PER_SAMPLE}"
        )
    rare = (labels == len(sizes) - 1).nonzero().flatten()
    missed = rare[~torch.isin(rare, draws)]
    assert len(missed) == 0, (
        f"{call} never drew {len(missed)} of the {len(rare)} samples of the rarest class, "
        f"such as {missed[:5].tolist()}, although each should come up about "
        f"{num_samples / len(sizes) / len(rare):.0f} times: within a class, every sample must "
        "be equally likely"
    )
    common = (labels == 0).nonzero().flatten()
    seen = int(torch.isin(common, draws).sum())
    # drawing num_samples / 3 times from the 27,000 samples of class 0 shows about 8,400
    assert seen >= 7500, (
        f"{call} drew only {seen} distinct samples of the largest class, of {len(common)}, "
        "expected about 8,400: within a class, every sample must be equally likely"
    )


def test_seeded(learner: Any, remote: Remote, device: torch.device) -> None:
    """the draws come from the generator alone, and each pass draws anew"""
    sizes, num_samples = [120, 12, 3], 400
    labels, call = _labels(sizes, 20), _call(sizes, num_samples)
    remote.eval("torch.manual_seed(0)")
    first = _sampler(learner, remote, labels, num_samples, 5)
    remote.eval("torch.rand(3)")  # the model's initialisation, after the sampler
    epochs = [_draw(remote, first, call) for _ in range(2)]
    assert not torch.equal(epochs[0], epochs[1]), (
        f"two passes over {call} drew the same indices: each epoch must draw anew. Draw in "
        "the sampler's __iter__ (WeightedRandomSampler does), not once when it is built"
    )
    remote.eval("(torch.manual_seed(1), torch.rand(5))")  # another run: other random work
    again = _sampler(learner, remote, labels, num_samples, 5)
    repeated = [_draw(remote, again, call) for _ in range(2)]
    for epoch in (0, 1):
        assert torch.equal(repeated[epoch], epochs[epoch]), (
            f"two samplers from {call} with generators seeded alike, in runs whose other "
            f"random work differs, drew different indices in pass {epoch + 1}: the draws "
            "come from torch's global random generator. Pass the generator to the sampler"
        )
    other = _draw(remote, _sampler(learner, remote, labels, num_samples, 6), call)
    assert not torch.equal(other, epochs[0]), (
        f"generators seeded with 5 and with 6 gave the same draws from {call}: the "
        "sampler does not use the generator it is given"
    )
