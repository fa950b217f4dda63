"""trainer.grading.wire: plain data round-trips, and nothing else is built from the bytes.

The judge decodes what the learner process sends, so every malformed, oversized or hostile
frame must end as a :class:`WireError` (a sentence), never as code that runs, a crash or a hang.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import struct

import pytest
import torch

from trainer.grading.wire import FRAME_LIMIT, Limits, Ref, WireError, decode, encode


def roundtrip(value: object) -> object:
    return decode(encode(value)[4:])


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        -7,
        2**70,
        1.5,
        float("inf"),
        -float("inf"),
        "héllo",
        b"\x00\xffbytes",
        1 + 2j,
        [1, [2, [3]]],
        (1, "a", None),
        {"a": 1, 2: "b", (3, 4): [5], None: 0.5},
        slice(1, None, -2),
        ...,
        torch.float16,
        torch.device("cpu"),
        torch.Size([2, 3]),
        Ref(7, "torch.Tensor"),
    ],
)
def test_plain_values_come_back_equal_and_of_the_same_type(value: object) -> None:
    back = roundtrip(value)
    assert back == value and type(back) is type(value)


def test_nan_comes_back_nan() -> None:
    back = roundtrip(float("nan"))
    assert isinstance(back, float) and back != back


@pytest.mark.parametrize(
    "dtype",
    [
        torch.float64,
        torch.float32,
        torch.float16,
        torch.bfloat16,
        torch.complex64,
        torch.int64,
        torch.int8,
        torch.uint8,
        torch.bool,
    ],
)
def test_tensors_come_back_bit_for_bit(dtype: torch.dtype) -> None:
    torch.manual_seed(0)
    source = (torch.randn(3, 4, 5) * 10).to(dtype)
    back = roundtrip(source.transpose(0, 2))  # not contiguous
    assert type(back) is torch.Tensor
    assert back.dtype == dtype and back.shape == (5, 4, 3)
    assert torch.equal(back, source.transpose(0, 2))


def test_tensor_flags_travel_but_not_the_graph() -> None:
    leaf = torch.randn(3, requires_grad=True)
    back = roundtrip(leaf * 2)
    assert isinstance(back, torch.Tensor)
    assert back.requires_grad and back.is_leaf and back.grad_fn is None
    assert torch.equal(back.detach(), (leaf * 2).detach())
    meta = roundtrip(torch.empty(2, 3, device="meta"))
    assert isinstance(meta, torch.Tensor) and meta.device.type == "meta"


def test_a_parameter_comes_back_a_plain_tensor() -> None:
    back = roundtrip(torch.nn.Parameter(torch.ones(2)))
    assert type(back) is torch.Tensor


class Custom:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("echo nope",))


class MyTensor(torch.Tensor):
    pass


class MyList(list[int]):
    pass


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (Custom(), "a Custom"),
        ([1, Custom()], "a Custom"),
        (torch.ones(2).as_subclass(MyTensor), "a MyTensor"),
        (MyList([1]), "a MyList"),
        ({1, 2}, "a set"),
        (torch.ones(2).to_sparse(), "torch.sparse_coo"),
    ],
)
def test_anything_but_plain_data_is_refused_by_name(value: object, said: str) -> None:
    with pytest.raises(WireError, match=said):
        encode(value)


def test_what_is_not_plain_data_becomes_a_reference_where_the_sender_keeps_objects() -> None:
    kept: list[object] = []

    def refer(value: object) -> Ref:
        kept.append(value)
        return Ref(len(kept), type(value).__qualname__)

    back = roundtrip_with(refer, [1, Custom()])
    assert back == [1, Ref(1, "Custom")]


def roundtrip_with(refer: object, value: object) -> object:
    return decode(encode(value, refer=refer)[4:])  # type: ignore[arg-type]


def test_limits_hold_when_encoding() -> None:
    deep: list[object] = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(WireError, match="nested more than 64"):
        encode(deep)
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(WireError, match="nested"):
        encode(loop)
    with pytest.raises(WireError, match="more than 10 items"):
        encode(list(range(11)), limits=Limits(items=10))
    with pytest.raises(WireError, match="characters"):
        encode("x" * 11, limits=Limits(string=10))


def frame(header: object, blobs: bytes = b"", *, raw: bytes | None = None) -> bytes:
    """A frame body with any header at all (what a hostile learner process could send)."""
    head = raw if raw is not None else json.dumps(header).encode()
    return struct.pack("<I", len(head)) + head + blobs


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x01\x00",
        struct.pack("<I", 1000) + b"{}",
        frame(None, raw=b"{not json"),
        frame([1, 2]),
        frame({"v": 1}),
        frame({"v": 1, "n": [5]}),
        frame({"v": 1, "n": []}, b"extra"),
        frame({"v": {"zz": 1}, "n": []}),
        frame({"v": {"l": 3}, "n": []}),
        frame({"v": {"d": [[1]]}, "n": []}),
        frame({"v": {"d": [[{"l": []}, 1]]}, "n": []}),
        frame({"v": {"f": "1e999"}, "n": []}),
        frame({"v": {"c": ["1", "x"]}, "n": []}),
        frame({"v": {"b": 3}, "n": []}),
        frame({"v": {"dt": "object"}, "n": []}),
        frame({"v": {"dv": "quantum:0"}, "n": []}),
        frame({"v": {"sz": [-1]}, "n": []}),
        frame({"v": {"r": "1"}, "n": []}),
        frame(
            {"v": {"T": {"dtype": "float32", "shape": [2], "device": "cpu", "buf": 0}}, "n": [7]},
            b"\x00" * 7,
        ),
        frame(
            {
                "v": {
                    "T": {"dtype": "float32", "shape": [2**39, 2**39], "device": "cpu", "buf": 0}
                },
                "n": [0],
            }
        ),
        frame(
            {
                "v": {"T": {"dtype": "float32", "shape": [1], "device": "cuda:7", "buf": 0}},
                "n": [4],
            },
            b"\x00" * 4,
        ),
        frame(None, raw=b"[" * 100_000 + b"]" * 100_000),
    ],
)
def test_malformed_frames_are_refused_in_a_sentence(body: bytes) -> None:
    with pytest.raises(WireError):
        decode(body, devices=frozenset({"cpu"}))


def test_random_bytes_never_get_past_the_decoder() -> None:
    """A bounded fuzz: random mutations of a real frame decode or are refused, nothing else."""
    good = encode({"x": torch.arange(6.0).reshape(2, 3), "y": [1, "a", None]})[4:]
    rng = random.Random(0)
    for _ in range(2000):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        with contextlib.suppress(WireError):
            decode(bytes(data))


def test_a_frame_larger_than_the_limit_is_refused_before_it_is_read() -> None:
    import socket

    from trainer.grading.wire import receive

    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(struct.pack("<I", FRAME_LIMIT + 1))
        with pytest.raises(WireError, match="larger than"):
            receive(ours)


def test_numpy_scalars_travel_as_python_scalars() -> None:
    import numpy as np

    assert roundtrip([np.float64(1.5), np.int64(3), np.bool_(True)]) == [1.5, 3, True]
    assert type(roundtrip(np.float32(2.0))) is float
