"""The judge's handle on the learner process: requests over one socket, learner objects as proxies.

A :class:`Proxy` stands for an object that lives in the learner process. What the learner's code
decides runs there: attribute access, calls, items, iteration, ``len``, ``with``, arithmetic.
What the checks decide runs here, on plain copies: comparisons (``==``, ``<`` …), ``int()``,
``float()``, and every torch function given a proxy (``torch.equal(p, t)`` fetches ``p``'s value
and compares it in the judge), so patching torch in the learner process changes no verdict.
Judge values passed in travel by value; a judge object that is not plain data cannot be passed at
all (build it in the learner process with ``remote.eval``), so nothing of the judge is ever
reachable from there.

Every answer is data decoded by :mod:`trainer.grading.wire`; an exception the learner's code
raised comes back as :class:`~trainer.errors.LearnerRaised` (also the builtin class it derives
from), and a learner process that ends or garbles its answer is
:class:`~trainer.errors.LearnerGone`.
"""

from __future__ import annotations

import builtins
import contextlib
import errno as errno_codes
import os
import signal
import socket
import time
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn, cast

from trainer.errors import LearnerGone, LearnerRaised
from trainer.grading.wire import Ref, WireError, decode, encode, receive, send

__all__ = ["Link", "Proxy", "is_proxy", "raised"]

TRUSTED_MODULES = ("builtins", "collections", "torch", "numpy", "math", "types", "typing")
"""Classes whose judge-side twin a proxy reports as its ``__class__`` (for ``isinstance``)."""

TENSOR_TYPES = frozenset({"torch.Tensor", "torch.nn.parameter.Parameter"})
RELEASE_BATCH = 512
MESSAGE_LIMIT = 4000
"""Characters of a learner exception's message kept (the learner process may send more)."""


class Link:
    """One learner process, as the judge sees it."""

    def __init__(self, sock: socket.socket, source: str, filename: str) -> None:
        self.sock = sock
        self.source = source
        """The learner's file as the judge read it (for ``forbid``; never executed here)."""
        self.filename = filename
        self.requests = 0
        self.seconds = 0.0
        self._proxies: weakref.WeakValueDictionary[int, Proxy] = weakref.WeakValueDictionary()
        self._released: set[int] = set()
        self.generation = 0
        """Which check's learner module proxies belong to (ids are reused across checks)."""
        self._mro: dict[str, tuple[str, ...]] = {}
        self.gone: str | None = None
        """Why the learner process can no longer answer, once it cannot."""
        self.exit_reason: Callable[[], str] = lambda: "it ended"
        self.prepared: dict[str, float] = {}
        """How long the learner process took to contain itself, and when (before the request,
        where it was armed): seconds, its own word, for benchmarks."""
        self.layers: tuple[str, ...] = ()
        """The sandbox layers the learner process reported holding around it."""
        self.devices: frozenset[str] = frozenset({"cpu"})
        """Device types a tensor from the learner process may be on: the grading's."""

    # -- the conversation -------------------------------------------------------------------

    def request(self, op: str, *operands: object) -> Any:
        """Send one request; return its answer (proxies for references) or raise what it says."""
        if self.gone is not None:
            raise LearnerGone(self.gone)
        if len(self._released) >= RELEASE_BATCH:
            released, self._released = sorted(self._released), set()
            self._exchange(["release", released])
        return self._exchange([op, *operands])

    def _exchange(self, message: list[object]) -> Any:
        start = time.perf_counter()
        try:
            return self._exchange_timed(message)
        finally:
            self.seconds += time.perf_counter() - start

    def _exchange_timed(self, message: list[object]) -> Any:
        try:
            frame = encode(message, refer=self._ref)
        except WireError as exc:
            raise TypeError(f"a value the checks pass to your code cannot travel: {exc}") from None
        self.requests += 1
        try:
            send(self.sock, frame)
            body = receive(self.sock)
        except OSError as exc:
            self._lose(f"stopped answering ({exc})")
        except WireError as exc:
            self._lose(f"sent what is not an answer: {exc}")
        if body is None:
            self._lose(f"ended: {self.exit_reason()}")
        try:
            answer = decode(body, devices=self.devices)
        except WireError as exc:
            self._lose(f"sent what is not an answer: {exc}")
        if not isinstance(answer, list) or len(answer) != 2 or answer[0] not in ("ok", "err"):
            self._lose("sent what is not an answer")
        if answer[0] == "err":
            raise raised(answer[1], self.filename)
        return self.wrap(answer[1])

    def _lose(self, why: str) -> NoReturn:
        self.gone = why
        raise LearnerGone(why)

    def _ref(self, value: object) -> Ref:
        if type(value) is Proxy and value._link is self:
            return Ref(value._id)
        name = type(value).__name__
        raise WireError(
            f"a {name} of the judge's cannot be passed to the learner's code "
            "(only plain data travels; build objects there with remote.eval)"
        )

    def wrap(self, value: object) -> Any:
        """References become proxies (one per remote object); plain data stays as it is."""
        kind = type(value)
        if kind is Ref:
            rid: int = value.id  # type: ignore[attr-defined]
            proxy = self._proxies.get(rid)
            if proxy is None:
                self._released.discard(rid)  # the same object again: no longer to release
                proxy = Proxy(self, rid, value.type)  # type: ignore[attr-defined]
                self._proxies[rid] = proxy
            return proxy
        if kind is list:
            return [self.wrap(v) for v in value]  # type: ignore[attr-defined]
        if kind is tuple:
            return tuple(self.wrap(v) for v in value)  # type: ignore[attr-defined]
        return value

    def released(self, rid: int, generation: int) -> None:
        if generation == self.generation and self.gone is None:
            self._released.add(rid)

    def mro(self, proxy: Proxy) -> tuple[str, ...]:
        """The learner-side class names of ``proxy``'s type, most derived first (cached)."""
        if proxy._type not in self._mro:
            names = self.request("type", proxy)
            if type(names) is not list or not all(type(n) is str for n in names):
                self._lose("sent what is not an answer")
            self._mro[proxy._type] = tuple(names)
        return self._mro[proxy._type]

    def value(self, proxy: Proxy) -> Any:
        """``proxy``'s plain-data copy (tensors by value); TypeError if it is not plain data."""
        return self.request("value", proxy)

    def sandbox_report(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The learner process's first message: the layers that hold around it, and those
        missing. Sent before any learner code ran there, so it is the trainer's own word."""
        try:
            body = receive(self.sock)
            report = decode(body) if body is not None else None
        except (OSError, WireError):
            report = None
        if (
            type(report) is not list
            or len(report) not in (2, 3)
            or not all(
                type(part) is list and all(type(n) is str for n in part) for part in report[:2]
            )
        ):
            self.gone = f"could not start: {self.exit_reason()}"
            return (), ()
        self.layers = tuple(report[0])
        if len(report) > 2 and type(report[2]) is dict:
            self.prepared = {k: v for k, v in report[2].items() if type(v) is float}
        return self.layers, tuple(report[1])

    # -- the learner side's modules ---------------------------------------------------------

    def import_learner(self) -> Proxy:
        """The learner's file, imported afresh in the learner process."""
        self._released.clear()
        self._proxies.clear()
        self.generation += 1
        module = self.request("import")
        if not isinstance(module, Proxy):
            self._lose("sent what is not an answer")
        object.__setattr__(module, "_module", True)
        return module

    def module(self, name: str) -> Proxy:
        return cast(Proxy, self.request("module", name))

    def close(self) -> None:
        if self.gone is None:
            with contextlib.suppress(OSError):
                send(self.sock, encode(["exit"]))
        self.gone = self.gone or "the grading is over"
        self.sock.close()


def raised(description: object, filename: str) -> BaseException:
    """The exception a description from the learner process stands for, raised in the judge."""
    if type(description) is not dict:
        return LearnerGone("sent what is not an answer")
    text = description.get("message")
    message = text[:MESSAGE_LIMIT] if type(text) is str else ""
    remote_type = description.get("type")
    remote_type = remote_type if type(remote_type) is str else "Exception"
    frames = description.get("frames")
    lines = [
        (f[0], f[1])
        for f in (frames if type(frames) is list else [])
        if type(f) is list and len(f) == 2 and type(f[0]) is int and type(f[1]) is str
    ]
    bases = description.get("bases")
    builtin = _builtin_base(bases if type(bases) is list else [])
    details = {k: v for k, v in description.items() if k in ("syntax", "code", "errno", "missing")}
    details["filename"] = filename
    if description.get("plain") is True:
        details["plain"] = True
    return _exception_class(builtin)(message, remote_type, lines, details)


def _builtin_base(names: list[object]) -> type[Exception] | None:
    """The most derived builtin exception the learner's one derives from, if it is safe to be.

    ``SystemExit``, ``KeyboardInterrupt`` and ``GeneratorExit`` are not ``Exception``s: raised in
    the judge they would end it, so they map to none.
    """
    for name in names:
        cls = getattr(builtins, name, None) if type(name) is str else None
        if isinstance(cls, type) and issubclass(cls, Exception) and cls is not Exception:
            return cls
    return None


_CLASSES: dict[type[Exception] | None, type[LearnerRaised]] = {None: LearnerRaised}


def _exception_class(base: type[Exception] | None) -> type[LearnerRaised]:
    if base in _CLASSES:
        return _CLASSES[base]
    assert base is not None
    cls: type[LearnerRaised] = type(f"Learner{base.__name__}", (LearnerRaised, base), {})
    try:
        cls("probe")
    except TypeError:  # a builtin with a constructor of its own (UnicodeDecodeError)
        parent = base.__mro__[1]
        return _exception_class(
            parent if issubclass(parent, Exception) and parent is not Exception else None
        )
    _CLASSES[base] = cls
    return cls


def limit_of(exc: BaseException) -> str | None:
    """Which resource limit a learner exception means, if any: ``memory``, ``file``, ``disk``."""
    if not isinstance(exc, LearnerRaised):
        return None
    code = exc.details.get("errno")
    if isinstance(exc, MemoryError) or "can't allocate memory" in str(exc):
        return "memory"
    if isinstance(exc, RuntimeError) and "not enough memory" in str(exc):
        return "memory"
    if code == errno_codes.EFBIG:
        return "file"
    if code == errno_codes.ENOSPC:
        return "disk"
    return None


def is_proxy(value: object) -> bool:
    return type(value) is Proxy


def _values(link: Link, value: object) -> Any:
    """``value`` with every proxy replaced by its plain copy (for torch functions and
    comparisons, computed here)."""
    kind = type(value)
    if kind is Proxy:
        return link.value(value)  # type: ignore[arg-type]
    if kind in (list, tuple):
        return kind(_values(link, v) for v in value)  # type: ignore[attr-defined]
    if kind is dict:
        return {k: _values(link, v) for k, v in value.items()}  # type: ignore[attr-defined]
    return value


class Proxy:
    """An object of the learner process. See the module docstring for what runs where."""

    __slots__ = ("__weakref__", "_gen", "_id", "_link", "_module", "_type")

    def __init__(self, link: Link, rid: int, type_name: str) -> None:
        object.__setattr__(self, "_link", link)
        object.__setattr__(self, "_id", rid)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_module", False)
        object.__setattr__(self, "_gen", link.generation)

    def __del__(self) -> None:
        self._link.released(self._id, self._gen)

    # -- what the learner's code decides: runs there ----------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__") and name in _NOT_REMOTE:
            raise AttributeError(name)
        return self._link.request("getattr", self, name)

    def __setattr__(self, name: str, value: object) -> None:
        self._link.request("setattr", self, name, value)

    def __delattr__(self, name: str) -> None:
        self._link.request("delattr", self, name)

    def __call__(self, *args: object, **kwargs: object) -> Any:
        return self._link.request("call", self, list(args), kwargs)

    def __getitem__(self, key: object) -> Any:
        return self._link.request("getitem", self, key)

    def __setitem__(self, key: object, value: object) -> None:
        self._link.request("setitem", self, key, value)

    def __delitem__(self, key: object) -> None:
        self._link.request("delitem", self, key)

    def __iter__(self) -> Iterator[Any]:
        iterator = self._link.request("iter", self)
        while True:
            items, done = self._link.request("next", iterator)
            yield from items
            if done:
                return

    def __len__(self) -> int:
        n = self._link.request("len", self)
        if type(n) is not int or n < 0:
            raise TypeError("len() of your object is not a non-negative int")
        return n

    def __contains__(self, item: object) -> bool:
        return bool(self._link.request("contains", self, item) is True)

    def __bool__(self) -> bool:
        if self._type in TENSOR_TYPES:
            return bool(self._link.value(self))
        return self._link.request("bool", self) is True

    def __enter__(self) -> Any:
        return self._link.request("callattr", self, "__enter__", [], {})

    def __exit__(self, kind: type[BaseException] | None, exc: object, tb: object) -> bool:
        """The learner's ``__exit__``, told of an exception by a stand-in of the same builtin
        class and message (the judge's own exception cannot cross); True suppresses it."""
        if kind is None:
            self._link.request("callattr", self, "__exit__", [None, None, None], {})
            return False
        bases = [c.__name__ for c in kind.__mro__ if c.__module__ == "builtins"]
        name = kind.__name__
        return self._link.request("exitwith", self, name, bases, str(exc)[:MESSAGE_LIMIT]) is True

    def __str__(self) -> str:
        return str(self._link.request("str", self, "str"))

    def __repr__(self) -> str:
        return str(self._link.request("str", self, "repr"))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    # -- what the checks decide: runs here, on plain copies ---------------------------------

    def __eq__(self, other: object) -> Any:
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other: object) -> Any:
        return self._compare(other, lambda a, b: a != b)

    def __lt__(self, other: object) -> Any:
        return _values(self._link, self) < _values(self._link, other)

    def __le__(self, other: object) -> Any:
        return _values(self._link, self) <= _values(self._link, other)

    def __gt__(self, other: object) -> Any:
        return _values(self._link, self) > _values(self._link, other)

    def __ge__(self, other: object) -> Any:
        return _values(self._link, self) >= _values(self._link, other)

    def _compare(self, other: object, op: Callable[[Any, Any], Any]) -> Any:
        """Equality of values where both are plain data; of identity where either is not."""
        try:
            mine = self._link.value(self)
            theirs = _values(self._link, other)
        except TypeError:
            same = isinstance(other, Proxy) and other._id == self._id
            return op(0, 0 if same else 1)
        return op(mine, theirs)

    def __hash__(self) -> int:
        return hash((Proxy, self._id))

    def __int__(self) -> int:
        return int(self._link.value(self))

    def __float__(self) -> float:
        return float(self._link.value(self))

    def __index__(self) -> int:
        value = self._link.value(self)
        return value.__index__()  # type: ignore[no-any-return]

    def __array__(self, *args: object, **kwargs: object) -> Any:
        return self._link.value(self).__array__(*args, **kwargs)

    @classmethod
    def __torch_function__(
        cls,
        func: Callable[..., Any],
        types: tuple[type, ...],
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        link = next(a._link for a in _flat(args, kwargs or {}) if type(a) is Proxy)
        return func(*_values(link, list(args)), **_values(link, dict(kwargs or {})))

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        """The judge's twin of the learner-side class, where it is torch's or Python's own (so
        ``isinstance(p, nn.Module)`` works); else :class:`Proxy`."""
        for name in self._link.mro(self):
            twin = _twin(name)
            if twin is not None:
                return twin
        return Proxy

    def __reduce__(self) -> Any:
        raise TypeError("an object of the learner process cannot be pickled")

    # -- arithmetic: runs there, so autograd graphs stay where the tensors are -------------

    def _binary(self, name: str, left: object, right: object) -> Any:
        return self._link.request("binary", name, left, right)

    if TYPE_CHECKING:  # set below, one per operator; declared here for type checkers

        def __add__(self, other: object) -> Any: ...
        def __radd__(self, other: object) -> Any: ...
        def __iadd__(self, other: object) -> Any: ...
        def __sub__(self, other: object) -> Any: ...
        def __rsub__(self, other: object) -> Any: ...
        def __isub__(self, other: object) -> Any: ...
        def __mul__(self, other: object) -> Any: ...
        def __rmul__(self, other: object) -> Any: ...
        def __imul__(self, other: object) -> Any: ...
        def __truediv__(self, other: object) -> Any: ...
        def __rtruediv__(self, other: object) -> Any: ...
        def __itruediv__(self, other: object) -> Any: ...
        def __floordiv__(self, other: object) -> Any: ...
        def __rfloordiv__(self, other: object) -> Any: ...
        def __ifloordiv__(self, other: object) -> Any: ...
        def __mod__(self, other: object) -> Any: ...
        def __rmod__(self, other: object) -> Any: ...
        def __imod__(self, other: object) -> Any: ...
        def __pow__(self, other: object) -> Any: ...
        def __rpow__(self, other: object) -> Any: ...
        def __ipow__(self, other: object) -> Any: ...
        def __matmul__(self, other: object) -> Any: ...
        def __rmatmul__(self, other: object) -> Any: ...
        def __imatmul__(self, other: object) -> Any: ...
        def __and__(self, other: object) -> Any: ...
        def __rand__(self, other: object) -> Any: ...
        def __iand__(self, other: object) -> Any: ...
        def __or__(self, other: object) -> Any: ...
        def __ror__(self, other: object) -> Any: ...
        def __ior__(self, other: object) -> Any: ...
        def __xor__(self, other: object) -> Any: ...
        def __rxor__(self, other: object) -> Any: ...
        def __ixor__(self, other: object) -> Any: ...
        def __lshift__(self, other: object) -> Any: ...
        def __rlshift__(self, other: object) -> Any: ...
        def __ilshift__(self, other: object) -> Any: ...
        def __rshift__(self, other: object) -> Any: ...
        def __rrshift__(self, other: object) -> Any: ...
        def __irshift__(self, other: object) -> Any: ...
        def __neg__(self) -> Any: ...
        def __pos__(self) -> Any: ...
        def __abs__(self) -> Any: ...
        def __invert__(self) -> Any: ...


def _flat(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterator[object]:
    stack: list[object] = [*args, *kwargs.values()]
    while stack:
        item = stack.pop()
        if type(item) in (list, tuple):
            stack.extend(cast("list[object]", item))
        elif type(item) is dict:
            stack.extend(item.values())
        else:
            yield item


def _operator(name: str, reflected: bool) -> Callable[[Proxy, object], Any]:
    if reflected:
        return lambda self, other: self._binary(name, other, self)
    return lambda self, other: self._binary(name, self, other)


for _name in [
    "add",
    "sub",
    "mul",
    "truediv",
    "floordiv",
    "mod",
    "pow",
    "matmul",
    "and",
    "or",
    "xor",
    "lshift",
    "rshift",
]:
    _op = "and_" if _name == "and" else "or_" if _name == "or" else _name
    setattr(Proxy, f"__{_name}__", _operator(_op, False))
    setattr(Proxy, f"__r{_name}__", _operator(_op, True))
    setattr(Proxy, f"__i{_name}__", _operator(f"i{_op}", False))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(Proxy, f"__{_name}__", lambda self, _n=_name: self._link.request("unary", _n, self))

_NOT_REMOTE = frozenset({"__length_hint__", "__getstate__", "__deepcopy__", "__copy__"})
"""Probes Python's own machinery makes with ``getattr``: answered here, never sent."""


def _twin(name: str) -> type | None:
    module_name, _, qualname = name.rpartition(".")
    if module_name.split(".")[0] not in TRUSTED_MODULES:
        return None
    import sys

    module = sys.modules.get(module_name)
    found: object = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found if isinstance(found, type) else None


def learner_pid_reason(pid: int) -> Callable[[], str]:
    """How the learner process ended, once it has: its exit code or signal, for messages.

    Its socket closes a moment before its relay reports the exit, so this waits up to a second.
    """

    def reason() -> str:
        deadline = time.monotonic() + 1.0
        while True:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                return "it ended"
            if done:
                break
            if time.monotonic() > deadline:
                return "it stopped answering"
            time.sleep(0.002)
        code = os.waitstatus_to_exitcode(status)
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with code {code}"

    return reason
