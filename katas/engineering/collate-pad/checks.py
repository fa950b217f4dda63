"""Hidden checks for collate-pad: ``pad_collate(batch, pad_id)`` pads variable-length token
sequences on the right to the batch's longest, with a bool mask built from the lengths."""

from collections.abc import Sequence
from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain, type_name
from trainer.grading.judge.link import is_proxy

EOT = 50256
VOCAB = EOT + 1
# (lengths, pad_id): mixed lengths, a batch of one, equal lengths, a length-1 sequence, and a
# pad id (0) that is also an ordinary token
CASES: list[tuple[list[int], int]] = [
    ([5, 2, 7, 3], EOT),
    ([4], EOT),
    ([3, 3, 3], EOT),
    ([1, 6], 0),
]
MASK_FROM_LENGTHS = (
    "Build the mask from the lengths, torch.arange(longest) < lengths[:, None]: pad_id is "
    "also a real token (<|endoftext|> ends every review), so tokens != pad_id hides real tokens"
)


def _make_batch(
    lengths: list[int], pad_id: int, seed: int, device: torch.device, vocab: int
) -> list:
    """(tokens, label) pairs of random ids. Each sequence ends with pad_id, as GPT-2 text ends
    with <|endoftext|>, and the longer ones hold it inside too; every other one is a strided
    view. Run in the learner process too (``remote.define``): the views stay views there
    (a tensor sent by value arrives contiguous), and the seeded generator gives the same ids."""
    data = torch.Generator().manual_seed(seed)
    batch = []
    for i, n in enumerate(lengths):
        base = torch.randint(0, vocab, (2 * n,), generator=data)
        tokens = base[::2] if i % 2 else base[:n]
        tokens[-1] = pad_id
        if n > 2:
            tokens[int(torch.randint(0, n - 1, (), generator=data))] = pad_id
        label = int(torch.randint(0, 5, (), generator=data))
        batch.append((tokens.to(device), label))
    return batch


def _batch(
    remote: Remote, lengths: Sequence[int], pad_id: int, seed: int, device: torch.device
) -> tuple[Any, list]:
    """The batch in the learner process (strided views included), and its copy here."""
    theirs = remote.define(_make_batch)(list(lengths), pad_id, seed, device, VOCAB)
    return theirs, _make_batch(list(lengths), pad_id, seed, device, VOCAB)


def _kinds(result: object) -> object:
    """In the learner process: (type, dtype, device) of each item pad_collate returned, or the
    result's type name when it is not a tuple or list."""
    if not isinstance(result, (tuple, list)):
        return type(result).__name__
    return [
        (type(v).__name__, str(getattr(v, "dtype", None)), str(getattr(v, "device", None)))
        for v in result
    ]


def _load_all(dataset: list, collate: object, pad_id: int) -> list:
    """In the learner process: every batch of a DataLoader with the learner's collate_fn."""
    from functools import partial

    from torch.utils.data import DataLoader

    return list(DataLoader(dataset, batch_size=3, collate_fn=partial(collate, pad_id=pad_id)))


def _items(remote: Remote, got: Any) -> list[Any]:
    """The items of the learner's tuple or list: by value in one request where they are plain
    data, else one proxy each (so plain() names the one that is not)."""
    try:
        return list(remote.value(got)) if is_proxy(got) else list(got)
    except TypeError:
        return list(got)


def _reference(batch: list, pad_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    device = batch[0][0].device
    longest = max(len(tokens) for tokens, _ in batch)
    tokens = torch.full((len(batch), longest), pad_id, dtype=torch.int64, device=device)
    mask = torch.zeros(len(batch), longest, dtype=torch.bool, device=device)
    for row, (seq, _) in enumerate(batch):
        tokens[row, : len(seq)] = seq
        mask[row, : len(seq)] = True
    labels = torch.tensor([label for _, label in batch], dtype=torch.int64, device=device)
    return tokens, mask, labels


def _describe(lengths: Sequence[int], pad_id: int) -> str:
    return f"a batch of {len(lengths)} sequences of lengths {list(lengths)}, pad_id={pad_id}"


def _collate(
    learner: Any, remote: Remote, batch: Any, pad_id: int, inputs: str
) -> tuple[Any, Any, Any]:
    try:
        got = learner.pad_collate(batch, pad_id)
    except RuntimeError as exc:
        text = " ".join(str(exc).split())[:200]
        stacked = "stack expects each tensor to be equal size" in text
        raise AssertionError(
            f"pad_collate raised RuntimeError for {inputs}: {text}. "
            + (
                "torch.stack (which the default collate uses) needs tensors of one shape: "
                "pad each sequence to the longest first (torch.nn.utils.rnn.pad_sequence)"
                if stacked
                else ""
            )
        ) from None
    items = _items(remote, got) if isinstance(got, (tuple, list)) else None
    assert items is not None and len(items) == 3, (
        f"pad_collate returned {type_name(got)}"
        + (f" of length {len(items)}" if items is not None else "")
        + f" for {inputs}, expected a tuple (tokens, mask, labels)"
    )
    return items[0], items[1], items[2]


def test_tokens(learner: Any, remote: Remote, device: torch.device) -> None:
    """tokens: row i is sequence i, padded on the right with pad_id to the longest"""
    for seed, (lengths, pad_id) in enumerate(CASES):
        theirs, batch = _batch(remote, lengths, pad_id, seed, device)
        inputs = _describe(lengths, pad_id)
        tokens, _, _ = _collate(learner, remote, theirs, pad_id, inputs)
        expected, _, _ = _reference(batch, pad_id)
        got = plain(tokens, "tokens (the first item pad_collate returns)")
        hint = ""
        if got.shape == expected.shape and got.dtype == expected.dtype:
            rows = [
                [torch.equal(got[i], expected[j]) for j in range(len(batch))]
                for i in range(len(batch))
            ]
            moved = [i for i in range(len(batch)) if not rows[i][i] and any(rows[i])]
            if moved:
                hint = (
                    "Rows are out of order: row i must hold sequence i of the batch, or the "
                    "labels no longer match their sequences. Do not sort the batch"
                )
            elif bool((got != expected)[expected == pad_id].any()):
                hint = f"The padding must be pad_id ({pad_id}), the value the model expects"
        elif got.ndim == 2 and got.shape[0] == len(batch) and got.shape[1] > max(lengths):
            hint = "Pad to the longest sequence of this batch, not to a fixed length"
        assert_close(
            got,
            expected,
            what="tokens",
            inputs=inputs,
            hint=hint
            or (
                "Tokens are ids for an embedding, which wants int64: torch.zeros(...) without "
                "dtype= is float32"
                if got.dtype != expected.dtype
                else ""
            ),
        )


def test_mask(learner: Any, remote: Remote, device: torch.device) -> None:
    """mask is True exactly at the real tokens: mask.sum(1) equals the lengths"""
    for seed, (lengths, pad_id) in enumerate(CASES, start=10):
        theirs, batch = _batch(remote, lengths, pad_id, seed, device)
        inputs = _describe(lengths, pad_id)
        _, mask, _ = _collate(learner, remote, theirs, pad_id, inputs)
        _, expected, _ = _reference(batch, pad_id)
        got = plain(mask, "mask (the second item pad_collate returns)")
        assert got.dtype == torch.bool, (
            f"mask has dtype {got.dtype}, expected torch.bool (for {inputs}). With an integer "
            "mask, ~mask is a bitwise not (~1 == -2), so masked_fill(~mask, ...) and "
            "x[mask] go wrong: compare with < or use .bool()"
        )
        if got.shape == expected.shape:
            sums = got.sum(1).tolist()
            assert sums == list(lengths), (
                f"mask.sum(1) is {sums}, expected the lengths {list(lengths)} (for {inputs}). "
                + (
                    "The rows are out of order: row i must describe sequence i of the batch"
                    if sorted(sums) == sorted(lengths)
                    else MASK_FROM_LENGTHS
                )
            )
        assert_close(
            got,
            expected,
            what="mask",
            inputs=inputs,
            hint="The mask has the shape of tokens, (batch, longest sequence in this batch)"
            if got.shape != expected.shape
            else MASK_FROM_LENGTHS,
        )


def test_labels(learner: Any, remote: Remote, device: torch.device) -> None:
    """labels come back as an int64 tensor, in batch order"""
    for seed, (lengths, pad_id) in enumerate(CASES, start=20):
        theirs, batch = _batch(remote, lengths, pad_id, seed, device)
        inputs = _describe(lengths, pad_id)
        _, _, labels = _collate(learner, remote, theirs, pad_id, inputs)
        _, _, expected = _reference(batch, pad_id)
        assert isinstance(labels, torch.Tensor), (
            f"labels (the third item pad_collate returns) is a {type_name(labels)} for "
            f"{inputs}, expected an int64 tensor of shape ({len(lengths)},): "
            "torch.tensor([label for _, label in batch])"
        )
        assert_close(
            plain(labels, "labels (the third item pad_collate returns)"),
            expected,
            what="labels",
            inputs=inputs,
            hint="cross_entropy wants the class indices as an int64 tensor, one per row",
        )


def test_dataloader(learner: Any, remote: Remote, device: torch.device) -> None:
    """as a DataLoader's collate_fn, every batch comes out padded, the last smaller one too"""
    lengths = [3, 9, 1, 4, 6, 2, 5]
    theirs, dataset = _batch(remote, lengths, EOT, 30, device)
    scene = f"DataLoader(dataset, batch_size=3, collate_fn=partial(pad_collate, pad_id={EOT}))"
    try:
        loaded = remote.define(_load_all)(theirs, learner.pad_collate, EOT)
    except RuntimeError as exc:
        text = " ".join(str(exc).split())[:200]
        raise AssertionError(
            f"iterating {scene} over sequences of lengths {lengths} raised RuntimeError: {text}"
        ) from None
    batches = _items(remote, loaded)
    assert len(batches) == 3, (
        f"{scene} over {len(lengths)} sequences yielded {len(batches)} batches, expected 3"
    )
    for number, got in enumerate(batches):
        start = 3 * number
        inputs = f"batch {number + 1} of {scene}, " + _describe(lengths[start : start + 3], EOT)
        items = _items(remote, got) if isinstance(got, (tuple, list)) else None
        assert items is not None and len(items) == 3, (
            f"{inputs}: the loader yielded a {type_name(got)}, expected (tokens, mask, labels)"
        )
        expected = _reference(dataset[start : start + 3], EOT)
        for name, value, want in zip(("tokens", "mask", "labels"), items, expected, strict=True):
            assert_close(plain(value, name), want, what=name, inputs=inputs)


def test_device(learner: Any, remote: Remote, device: torch.device) -> None:
    """tokens, mask and labels are on the device of the input tokens

    On a CPU, the meta device stands in for a GPU: a tensor made without device= (by
    torch.tensor, torch.arange, torch.zeros) lands on the CPU, away from the tokens.
    """
    lengths, pad_id = [4, 1, 6], EOT
    theirs = remote.define(_make_batch)(lengths, pad_id, 40, "meta", VOCAB)
    inputs = _describe(lengths, pad_id) + ", the token tensors on the meta device"
    try:
        got = learner.pad_collate(theirs, pad_id)
    except Exception as exc:
        text = " ".join(str(exc).split())[:200].rstrip(".!")
        raise AssertionError(
            f"pad_collate raised {getattr(exc, 'short_type', type(exc).__name__)} for {inputs}: "
            f"{text}. The meta device stands in for a GPU here: build every tensor on the "
            "tokens' device (device=tokens.device), from the lengths, without reading the "
            "token values back into Python"
        ) from None
    kinds = remote.value(remote.define(_kinds)(got))
    assert isinstance(kinds, list) and len(kinds) == 3, (
        f"pad_collate returned {kinds if isinstance(kinds, str) else f'{len(kinds)} items'} "
        f"for {inputs}, expected a tuple (tokens, mask, labels)"
    )
    elsewhere = [
        f"{name} ({kind} on {where})"
        for name, (kind, _, where) in zip(("tokens", "mask", "labels"), kinds, strict=True)
        if where != "meta"
    ]
    assert not elsewhere, (
        f"for {inputs}, pad_collate returned {', '.join(elsewhere)}, expected every tensor on "
        "meta, the device of the input tokens (on a GPU, the model would get them on another "
        "device). torch.tensor, torch.arange and torch.zeros make CPU tensors unless given "
        "device=tokens.device"
    )
