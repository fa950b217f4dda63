"""Hidden checks for collate-dict: ``collate(samples)`` batches detection samples
``{image, label, weight, boxes, id}``: images stacked, labels int64, weights float32, boxes and
ids kept as lists, every sample kept.

The samples are built in the learner process (an image that is a permuted view stays one
there) and, from the same seed, here for the reference. The loader check runs a DataLoader
with 2 workers there; its batches come back by value."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain, type_name
from trainer.grading.judge.link import is_proxy

C, H, W = 3, 5, 4
KEYS = ["boxes", "id", "image", "label", "weight"]
# box counts per batch: mixed with an empty image, a batch of one without boxes, equal counts
# (which the default collate could stack), and a batch of four
COUNTS = [[2, 0, 3], [0], [1, 1], [4, 1, 0, 2]]


def _sample(index: int, boxes: int, seed: int) -> dict[str, Any]:
    """One detection sample, random but fixed by (index, seed); every other image is a
    permuted (H, W, C) -> (C, H, W) view, so it is not contiguous."""
    generator = torch.Generator().manual_seed(1000 * seed + index)
    if index % 2:
        image = torch.randn(5, 4, 3, generator=generator).permute(2, 0, 1)
    else:
        image = torch.randn(3, 5, 4, generator=generator)
    return {
        "image": image * 2 + 0.5,
        "label": int(torch.randint(0, 10, (), generator=generator)),
        "weight": float(torch.rand((), dtype=torch.float64, generator=generator)) * 3 + 0.1,
        "boxes": torch.rand(boxes, 4, generator=generator) * 100,
        "id": f"scene-{seed}-{index}",
    }


def _samples(counts: list[int], seed: int, device: str) -> list[dict[str, Any]]:
    """A batch of samples with ``counts[i]`` boxes in sample i, its tensors on ``device``
    (defined in the learner process too)."""
    batch = []
    for index, boxes in enumerate(counts):
        sample = _sample(index, boxes, seed)
        sample["image"] = sample["image"].to(device)
        sample["boxes"] = sample["boxes"].to(device)
        batch.append(sample)
    return batch


def _both(
    remote: Remote, counts: list[int], seed: int, device: torch.device
) -> tuple[Any, list[dict[str, Any]]]:
    """The samples in the learner process, and the same samples here."""
    remote.define(_sample)
    theirs = remote.define(_samples)(counts, seed, str(device))
    return theirs, _samples(counts, seed, str(device))


def _describe(counts: list[int]) -> str:
    if len(counts) == 1:
        return f"a batch of one sample with {counts[0]} boxes"
    listed = ", ".join(str(count) for count in counts[:-1]) + f" and {counts[-1]}"
    return f"a batch of {len(counts)} samples with {listed} boxes"


def _collate(learner: Any, remote: Remote, samples: Any, inputs: str) -> dict[str, Any]:
    """The learner's batch for ``samples``, fetched by value where it is plain data."""
    try:
        got = learner.collate(samples)
    except RuntimeError as exc:
        text = " ".join(str(exc).split())[:200]
        if "stack expects each tensor to be equal size" not in text:
            raise
        raise AssertionError(
            f"collate raised RuntimeError for {inputs}: {text}. torch.stack (which the "
            "default collate uses for every tensor field) needs tensors of one shape, and the "
            "box counts differ: keep the boxes as a list of the samples' own tensors"
        ) from None
    try:
        batch = remote.value(got) if is_proxy(got) else got
    except TypeError:  # holds learner objects: kept as proxies, named below
        batch = got
    assert isinstance(batch, dict), (
        f"collate returned a {type_name(got)} for {inputs}, expected a dict with the keys {KEYS}"
    )
    keys = sorted(str(key) for key in batch)
    assert keys == KEYS, (
        f"collate returned a dict with the keys {keys} for {inputs}, expected {KEYS}"
    )
    return batch


def _check_images(got: object, samples: list[dict[str, Any]], inputs: str) -> None:
    expected = torch.stack([sample["image"] for sample in samples])
    image = plain(got, 'batch["image"]')
    dropped = [i for i, sample in enumerate(samples) if len(sample["boxes"]) == 0]
    if image.ndim == 4 and image.shape[0] < len(samples) and dropped:
        raise AssertionError(
            f'batch["image"] holds {image.shape[0]} images for {inputs}: every sample must '
            "stay in the batch, also one with no boxes. An image without objects is a "
            "negative example the detector learns from, and dropping it also shifts the "
            "batch away from its labels and ids"
        )
    assert_close(
        image,
        expected,
        what='batch["image"]',
        inputs=inputs,
        hint="stack the images: torch.stack([s['image'] for s in samples]), sample i at index i",
    )


def _check_numbers(batch: dict[str, Any], samples: list[dict[str, Any]], inputs: str) -> None:
    device = samples[0]["image"].device
    for key, dtype, why in (
        ("label", torch.int64, "cross_entropy wants int64 class indices"),
        (
            "weight",
            torch.float32,
            "the default collate turns Python floats into float64, and a float64 weight times "
            "a float32 loss makes the loss float64: give the tensor dtype=torch.float32",
        ),
    ):
        got = batch[key]
        assert isinstance(got, torch.Tensor), (
            f'batch["{key}"] is a {type_name(got)} for {inputs}, expected a {dtype} tensor of '
            f"shape ({len(samples)},)"
        )
        expected = torch.tensor([sample[key] for sample in samples], dtype=dtype, device=device)
        if device.type == "meta":
            assert got.device.type == "meta", (
                f'batch["{key}"] is on {got.device} for {inputs}, expected meta, the images\' '
                "device: create it with device=images.device"
            )
            continue
        assert_close(
            got,
            expected,
            what=f'batch["{key}"]',
            inputs=inputs,
            hint=why if plain(got).dtype != dtype else f"one {key} per sample, in batch order",
        )


def _check_boxes(got: object, samples: list[dict[str, Any]], inputs: str) -> None:
    expected = [sample["boxes"] for sample in samples]
    shapes = [tuple(boxes.shape) for boxes in expected]
    if isinstance(got, torch.Tensor):
        raise AssertionError(
            f'batch["boxes"] is a tensor of shape {tuple(got.shape)} for {inputs}, expected a '
            f"list of the samples' own tensors, of shapes {shapes}, in every batch, whatever "
            "the counts. Padding invents boxes the loss counts unless every consumer masks "
            "them, and stacking works only while the counts happen to match"
        )
    assert isinstance(got, list), (
        f'batch["boxes"] is a {type_name(got)} for {inputs}, expected a list of the samples\' '
        f"own tensors, of shapes {shapes}"
    )
    assert len(got) == len(expected), (
        f'batch["boxes"] holds {len(got)} tensors for {inputs}, expected one per sample, '
        f"{len(expected)}, of shapes {shapes} (an image with no boxes keeps its (0, 4) tensor)"
    )
    for index, (boxes, want) in enumerate(zip(got, expected, strict=True)):
        assert_close(
            boxes,
            want,
            what=f'batch["boxes"][{index}]',
            inputs=inputs,
            hint="keep each sample's boxes as they are, in batch order",
        )


def _check_ids(got: object, samples: list[dict[str, Any]], inputs: str) -> None:
    expected = [sample["id"] for sample in samples]
    assert isinstance(got, list) and got == expected, (
        f'batch["id"] is {got!r} for {inputs}, expected the list of ids {expected}'
    )


def test_images(learner: Any, remote: Remote, device: torch.device) -> None:
    """images are stacked into one (B, C, H, W) tensor, every sample kept"""
    for seed, counts in enumerate(COUNTS):
        theirs, samples = _both(remote, counts, seed, device)
        inputs = _describe(counts)
        batch = _collate(learner, remote, theirs, inputs)
        _check_images(batch["image"], samples, inputs)


def test_labels_and_weights(learner: Any, remote: Remote, device: torch.device) -> None:
    """labels come out int64 and weights float32, on the images' device"""
    for seed, counts in enumerate(COUNTS, start=10):
        for where in (device, torch.device("meta")):
            theirs, samples = _both(remote, counts, seed, where)
            inputs = _describe(counts) + f", on {where}"
            _check_numbers(_collate(learner, remote, theirs, inputs), samples, inputs)


def test_boxes(learner: Any, remote: Remote, device: torch.device) -> None:
    """boxes stay a list of each sample's own (n_i, 4) tensor"""
    for seed, counts in enumerate(COUNTS, start=20):
        theirs, samples = _both(remote, counts, seed, device)
        inputs = _describe(counts)
        _check_boxes(_collate(learner, remote, theirs, inputs)["boxes"], samples, inputs)


def test_ids(learner: Any, remote: Remote, device: torch.device) -> None:
    """ids stay a list of strings, in batch order"""
    for seed, counts in enumerate(COUNTS, start=30):
        theirs, samples = _both(remote, counts, seed, device)
        inputs = _describe(counts)
        _check_ids(_collate(learner, remote, theirs, inputs)["id"], samples, inputs)


class _Scenes(torch.utils.data.Dataset):
    """A detection dataset of ``len(counts)`` samples, sample i with ``counts[i]`` boxes
    (defined in the learner process, where the loader's workers read it)."""

    def __init__(self, counts: list[int], seed: int) -> None:
        self.counts, self.seed = counts, seed

    def __len__(self) -> int:
        return len(self.counts)

    def __getitem__(self, index: int) -> dict:
        return _sample(index, self.counts[index], self.seed)


def _epoch(dataset: object, collate: object, seed: int) -> list:
    """One epoch of a shuffling DataLoader with 2 workers and ``collate`` (in the learner
    process)."""
    from torch.utils.data import DataLoader

    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(
        dataset, batch_size=3, shuffle=True, generator=generator, num_workers=2, collate_fn=collate
    )
    return list(loader)


def test_loader(learner: Any, remote: Remote, device: torch.device) -> None:
    """as the collate_fn of a DataLoader with 2 workers, every batch comes out right"""
    counts, seed = [1, 0, 3, 2, 2, 0, 5], 40
    scene = "an epoch of DataLoader(dataset of 7 samples, batch_size=3, shuffle=True, "
    scene += "num_workers=2, collate_fn=collate)"
    remote.define(_sample)
    dataset = remote.define(_Scenes)(counts, seed)
    try:
        loaded = remote.define(_epoch)(dataset, learner.collate, seed)
    except (RuntimeError, TypeError, ValueError, KeyError, AttributeError) as exc:
        # a worker's error comes wrapped: "Caught RuntimeError in DataLoader worker process
        # 0. Original Traceback ...", the error itself on the last line
        lines = [line for line in str(exc).splitlines() if line.strip()]
        text = lines[-1].strip()[:300] if lines else ""
        stack = "stack expects each tensor to be equal size" in text
        raise AssertionError(
            f"{scene} raised {getattr(exc, 'short_type', type(exc).__name__)} in a worker: "
            f"{text}" + (". The boxes cannot be stacked: keep them as a list" if stack else "")
        ) from None
    try:
        batches = remote.value(loaded)
    except TypeError:
        raise AssertionError(
            f"{scene} yielded batches that are not plain tensors, lists and dicts"
        ) from None
    sizes = [
        len(batch["id"]) if isinstance(batch, dict) and "id" in batch else 0 for batch in batches
    ]
    assert sizes == [3, 3, 1], f"{scene} yielded batches of {sizes} ids, expected [3, 3, 1]"
    seen: list[str] = []
    for number, batch in enumerate(batches, start=1):
        ids = batch["id"]
        assert isinstance(ids, list) and all(isinstance(i, str) for i in ids), (
            f'batch {number} of {scene}: batch["id"] is {ids!r}, expected a list of ids'
        )
        seen += ids
        prefix = f"scene-{seed}-"
        indices = [int(i[len(prefix) :]) for i in ids if i.startswith(prefix)]
        assert len(indices) == len(ids), f"batch {number} of {scene} has unknown ids {ids}"
        samples = [_sample(index, counts[index], seed) for index in indices]
        inputs = f"batch {number} of {scene} (samples {indices})"
        assert sorted(str(key) for key in batch) == KEYS, (
            f"{inputs}: the keys are {sorted(batch)}, expected {KEYS}"
        )
        _check_images(batch["image"], samples, inputs)
        _check_numbers(batch, samples, inputs)
        _check_boxes(batch["boxes"], samples, inputs)
    expected = sorted(f"scene-{seed}-{index}" for index in range(len(counts)))
    assert sorted(seen) == expected, f"{scene} yielded the ids {seen}, expected each of {expected}"
