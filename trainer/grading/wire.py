"""Plain data between the judge and the learner process: a codec that runs no code on decode.

Why not pickle (or ``torch.save``): unpickling runs whatever the bytes name, and the learner
process writes what the judge reads. Why not rpyc or another object-proxy library: they pass
arguments by reference in both directions, so the learner side could reach judge objects. This
codec knows a closed set of types, checks every size and depth as it reads, and builds only
``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``, ``bytes``, lists, tuples, dicts,
``slice``, ``...``, ``torch.dtype``, ``torch.device``, ``torch.Size`` and dense tensors (by
value: dtype, shape, device and raw bytes; contiguous, so a view's layout does not travel).
NumPy scalars travel as the Python scalars they hold, an ``OrderedDict`` as a dict. A reference
to an object that stays in the learner process travels as its number (:class:`Ref`). Anything
else is refused with a sentence that says what it was, so the check that asked can say it to the
learner.

A message is one frame: a 4-byte length, a 4-byte header length, a JSON header (the value's
tree and the length of each raw blob), then the raw bytes of every tensor and ``bytes`` value.
"""

from __future__ import annotations

import json
import math
import socket
import struct
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trainer.errors import WireError

__all__ = [
    "FRAME_LIMIT",
    "Limits",
    "Ref",
    "WireError",
    "decode",
    "encode",
    "receive",
    "send",
]

FRAME_LIMIT = 256 * 1024 * 1024
"""The largest message either side reads: 256 MiB, room for a few large tensors."""


@dataclass(frozen=True)
class Limits:
    """What one decoded message may hold."""

    depth: int = 64
    items: int = 1_000_000
    """Containers' items and tensors' elements are counted separately: 1e6 each."""
    elements: int = 64 * 1024 * 1024
    string: int = 16 * 1024 * 1024


@dataclass(frozen=True)
class Ref:
    """An object that stays in the learner process, named by the number it gave it."""

    id: int
    type: str = ""
    """``module.QualName`` of its type, as the learner process reports it (untrusted)."""


_SCALARS = (type(None), bool, int, float, str)

_WIDTHS = {
    "float64": 8, "float32": 4, "float16": 2, "bfloat16": 2,
    "complex128": 16, "complex64": 8, "complex32": 4,
    "int64": 8, "int32": 4, "int16": 2, "int8": 1,
    "uint8": 1, "uint16": 2, "uint32": 4, "uint64": 8,
    "bool": 1, "float8_e4m3fn": 1, "float8_e5m2": 1,
}  # fmt: skip
"""The dtypes that travel, and the bytes one element takes."""

_DTYPES = frozenset(_WIDTHS)


def _torch() -> Any:
    import torch

    return torch


class _Encoder:
    def __init__(self, refer: Callable[[object], Ref] | None, limits: Limits) -> None:
        self.refer = refer
        self.limits = limits
        self.buffers: list[bytes] = []
        self.size = 0

    def blob(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > FRAME_LIMIT:
            raise WireError(f"it is larger than {FRAME_LIMIT // 2**20} MiB")
        self.buffers.append(data)
        return len(self.buffers) - 1

    def node(self, value: object, depth: int) -> object:
        if depth > self.limits.depth:
            raise WireError(f"it is nested more than {self.limits.depth} levels deep")
        kind = type(value)
        if kind in _SCALARS:
            if kind is float and not math.isfinite(value):  # type: ignore[arg-type]
                return {"f": repr(value)}
            if kind is str and len(value) > self.limits.string:  # type: ignore[arg-type]
                raise WireError(f"it holds a string of more than {self.limits.string} characters")
            return value
        if kind is Ref:  # ``type``, not ``isinstance``: a proxy answers isinstance remotely
            return {"r": value.id, "t": value.type}  # type: ignore[attr-defined]
        if kind is complex:
            return {"c": [repr(value.real), repr(value.imag)]}  # type: ignore[attr-defined]
        if kind is bytes:
            return {"b": self.blob(value)}  # type: ignore[arg-type]
        if kind in (list, tuple):
            items = value
            if len(items) > self.limits.items:  # type: ignore[arg-type]
                raise WireError(f"it holds more than {self.limits.items} items")
            nodes = [self.node(v, depth + 1) for v in items]  # type: ignore[attr-defined]
            return {"l" if kind is list else "u": nodes}
        if kind is dict or kind is OrderedDict:  # a state_dict is an OrderedDict: as a dict
            pairs = value.items()  # type: ignore[attr-defined]
            if len(pairs) > self.limits.items:
                raise WireError(f"it holds more than {self.limits.items} items")
            return {"d": [[self.node(k, depth + 1), self.node(v, depth + 1)] for k, v in pairs]}
        if kind is slice:
            parts = (value.start, value.stop, value.step)  # type: ignore[attr-defined]
            return {"s": [self.node(p, depth + 1) for p in parts]}
        if value is Ellipsis:
            return {"e": 1}
        torch = _torch()
        if kind is torch.dtype:
            return {"dt": str(value).removeprefix("torch.")}
        if kind is torch.device:
            return {"dv": str(value)}
        if kind is torch.Size:
            return {"sz": [int(n) for n in value]}  # type: ignore[attr-defined]
        if kind is torch.Tensor or kind is torch.nn.Parameter:
            return self.tensor(value)
        if kind.__module__ == "numpy" and getattr(value, "ndim", None) == 0:
            item = getattr(value, "item", None)  # a NumPy scalar: np.float64 and the like
            if callable(item):
                return self.node(item(), depth + 1)
        if self.refer is not None:
            ref = self.refer(value)
            return {"r": ref.id, "t": ref.type}
        raise WireError(f"it holds {_a(value)}, which is not plain data")

    def tensor(self, value: Any) -> object:
        torch = _torch()
        t = torch.Tensor.detach(value)
        if t.layout != torch.strided:
            raise WireError(f"it holds a {t.layout} tensor; only dense tensors travel")
        if t.numel() > self.limits.elements:
            raise WireError(f"it holds a tensor of more than {self.limits.elements} elements")
        dtype = str(t.dtype).removeprefix("torch.")
        if dtype not in _DTYPES:
            raise WireError(f"it holds a tensor of dtype {t.dtype}, which cannot travel")
        head: dict[str, object] = {
            "dtype": dtype,
            "shape": list(t.shape),
            "device": str(t.device),
            "grad": bool(value.requires_grad),
        }
        if t.device.type != "meta":
            flat = t.cpu().contiguous().reshape(-1)
            if t.dtype == torch.bool:
                flat = flat.to(torch.uint8)
            head["buf"] = self.blob(flat.view(torch.uint8).numpy().tobytes())
        return {"T": head}


def _a(value: object) -> str:
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def encode(
    value: object,
    *,
    refer: Callable[[object], Ref] | None = None,
    limits: Limits | None = None,
) -> bytes:
    """One frame holding ``value``; ``refer`` turns what is not plain data into a :class:`Ref`
    (the learner side), else such a value is a :class:`WireError`."""
    encoder = _Encoder(refer, limits or Limits())
    tree = encoder.node(value, 0)
    sizes = [len(b) for b in encoder.buffers]
    header = json.dumps({"v": tree, "n": sizes}, separators=(",", ":")).encode()
    body = struct.pack("<I", len(header)) + header + b"".join(encoder.buffers)
    if len(body) > FRAME_LIMIT:
        raise WireError(f"it is larger than {FRAME_LIMIT // 2**20} MiB")
    return struct.pack("<I", len(body)) + body


class _Decoder:
    def __init__(
        self, buffers: list[memoryview], limits: Limits, devices: frozenset[str] | None
    ) -> None:
        self.buffers = buffers
        self.limits = limits
        self.devices = devices
        self.items = 0
        self.elements = 0

    def count(self, n: int) -> None:
        self.items += n
        if self.items > self.limits.items:
            raise WireError(f"it holds more than {self.limits.items} items")

    def node(self, node: object, depth: int) -> object:
        if depth > self.limits.depth:
            raise WireError(f"it is nested more than {self.limits.depth} levels deep")
        kind = type(node)
        if kind in _SCALARS:
            if kind is str and len(node) > self.limits.string:  # type: ignore[arg-type]
                raise WireError(f"it holds a string of more than {self.limits.string} characters")
            return node
        if kind is not dict or len(node) not in (1, 2):  # type: ignore[arg-type]
            raise WireError("the message is malformed")
        tag, body = next(iter(node.items()))  # type: ignore[attr-defined]
        if tag == "l" or tag == "u":
            items = self._list(body)
            self.count(len(items))
            values = [self.node(v, depth + 1) for v in items]
            return values if tag == "l" else tuple(values)
        if tag == "d":
            pairs = self._list(body)
            self.count(len(pairs))
            out: dict[object, object] = {}
            for pair in pairs:
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("the message is malformed")
                key = self.node(pair[0], depth + 1)
                try:
                    out[key] = self.node(pair[1], depth + 1)
                except TypeError:
                    raise WireError("a dict key is not hashable") from None
            return out
        if tag == "r":
            rid, name = body, node.get("t", "")  # type: ignore[attr-defined]
            if type(rid) is not int or type(name) is not str or len(name) > 512:
                raise WireError("the message is malformed")
            return Ref(rid, name)
        if tag == "f":
            if body not in ("nan", "inf", "-inf"):
                raise WireError("the message is malformed")
            return float(body)
        if tag == "c":
            parts = self._list(body)
            if len(parts) != 2 or not all(type(p) is str and len(p) < 64 for p in parts):
                raise WireError("the message is malformed")
            try:
                return complex(float(parts[0]), float(parts[1]))
            except ValueError:
                raise WireError("the message is malformed") from None
        if tag == "b":
            return bytes(self._buffer(body))
        if tag == "s":
            parts = self._list(body)
            if len(parts) != 3:
                raise WireError("the message is malformed")
            return slice(*(self.node(p, depth + 1) for p in parts))
        if tag == "e":
            return Ellipsis
        torch = _torch()
        if tag == "dt":
            if body not in _DTYPES:
                raise WireError("the message names an unknown dtype")
            return getattr(torch, body)
        if tag == "dv":
            if type(body) is not str or len(body) > 32:
                raise WireError("the message is malformed")
            try:
                return torch.device(body)
            except (RuntimeError, ValueError):
                raise WireError(f"the message names an unknown device {body!r}") from None
        if tag == "sz":
            dims = self._list(body)
            if not all(type(n) is int and n >= 0 for n in dims):
                raise WireError("the message is malformed")
            return torch.Size(dims)
        if tag == "T":
            return self.tensor(body)
        raise WireError("the message is malformed")

    @staticmethod
    def _list(body: object) -> list[Any]:
        if type(body) is not list:
            raise WireError("the message is malformed")
        return body

    def _buffer(self, index: object) -> memoryview:
        if type(index) is not int or not 0 <= index < len(self.buffers):
            raise WireError("the message is malformed")
        return self.buffers[index]

    def tensor(self, head: object) -> Any:
        torch = _torch()
        if type(head) is not dict:
            raise WireError("the message is malformed")
        dtype, shape, device = head.get("dtype"), head.get("shape"), head.get("device")
        if dtype not in _DTYPES or type(shape) is not list or type(device) is not str:
            raise WireError("the message is malformed")
        if len(shape) > 64 or not all(type(n) is int and 0 <= n < 2**40 for n in shape):
            raise WireError("the message is malformed")
        numel = math.prod(shape)
        self.elements += numel
        if self.elements > self.limits.elements:
            raise WireError(f"it holds tensors of more than {self.limits.elements} elements")
        kind = getattr(torch, dtype)
        tensor: Any
        if device == "meta":
            tensor = torch.empty(shape, dtype=kind, device="meta")
        else:
            raw = self._buffer(head.get("buf"))
            stored = torch.uint8 if kind == torch.bool else kind
            if len(raw) != numel * _WIDTHS[dtype]:
                raise WireError("a tensor's bytes do not match its shape")
            flat = torch.frombuffer(bytearray(raw), dtype=torch.uint8) if numel else None
            tensor = (
                flat.view(stored).reshape(shape)
                if flat is not None
                else torch.empty(shape, dtype=stored)
            )
            if kind == torch.bool:
                tensor = tensor.to(torch.bool)
            if device != "cpu":
                kind_of_device = device.partition(":")[0]
                if self.devices is not None and kind_of_device not in self.devices:
                    raise WireError(f"a tensor is on {device}, which this grading does not use")
                try:
                    tensor = tensor.to(device)
                except Exception:  # torch raises AssertionError on a build without CUDA
                    raise WireError(f"a tensor is on {device}, which this process lacks") from None
        if head.get("grad") is True and (tensor.is_floating_point() or tensor.is_complex()):
            tensor.requires_grad_()
        return tensor


def decode(
    data: bytes | memoryview,
    *,
    limits: Limits | None = None,
    devices: frozenset[str] | None = None,
) -> object:
    """The value in one frame's body (after its 4-byte length); :class:`WireError` if the bytes
    are not a well-formed message within ``limits``. ``devices`` are the device types a tensor
    may claim to be on (``cpu`` always): a sender cannot make this process open a GPU it does
    not use."""
    view = memoryview(data)
    if len(view) < 4:
        raise WireError("the message is truncated")
    (head_len,) = struct.unpack_from("<I", view, 0)
    if head_len > len(view) - 4:
        raise WireError("the message is truncated")
    try:
        header = json.loads(bytes(view[4 : 4 + head_len]))
    except (ValueError, RecursionError):
        raise WireError("the message is malformed") from None
    if type(header) is not dict or set(header) != {"v", "n"} or type(header["n"]) is not list:
        raise WireError("the message is malformed")
    buffers: list[memoryview] = []
    offset = 4 + head_len
    for size in header["n"]:
        if type(size) is not int or size < 0 or offset + size > len(view):
            raise WireError("the message is truncated")
        buffers.append(view[offset : offset + size])
        offset += size
    if offset != len(view):
        raise WireError("the message has bytes no value claims")
    try:
        allowed = None if devices is None else devices | {"cpu", "meta"}
        return _Decoder(buffers, limits or Limits(), allowed).node(header["v"], 0)
    except RecursionError:
        raise WireError("the message is nested too deep") from None


def send(sock: socket.socket, frame: bytes) -> None:
    """Write one frame (from :func:`encode`) whole."""
    sock.sendall(frame)


def receive(sock: socket.socket) -> memoryview | None:
    """Read one frame's body; None when the other side has closed the socket.

    One ``recv`` for the whole of a small frame (most are a few hundred bytes): a round trip
    between the judge and the learner process is a few tens of microseconds, and each system
    call counts.
    """
    buffer = bytearray(_FIRST_READ)
    view = memoryview(buffer)
    got = sock.recv_into(view)
    if got == 0:
        return None
    while got < 4:
        n = sock.recv_into(view[got:])
        if n == 0:
            raise WireError("the message is truncated")
        got += n
    (size,) = struct.unpack_from("<I", buffer, 0)
    if size > FRAME_LIMIT:
        raise WireError(f"a message of {size} bytes is larger than {FRAME_LIMIT // 2**20} MiB")
    if got - 4 > size:
        raise WireError("the message is longer than it says")
    if size + 4 > len(buffer):
        bigger = bytearray(size + 4)
        bigger[:got] = view[:got]
        buffer, view = bigger, memoryview(bigger)
    while got < size + 4:
        n = sock.recv_into(view[got : size + 4])
        if n == 0:
            raise WireError("the message is truncated")
        got += n
    return view[4 : size + 4]


_FIRST_READ = 64 * 1024
