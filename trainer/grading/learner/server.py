"""The learner process's side: answer the judge's requests about the learner's objects.

Every request names an operation and its operands; operands are plain data decoded by
:mod:`trainer.grading.wire` or :class:`~trainer.grading.wire.Ref` numbers of objects this process
holds. Every answer is ``["ok", value]`` or ``["err", description]``. A value goes back as
itself when it is an exact ``None``, ``bool``, ``int``, ``float``, ``complex`` or ``str``, as its
plain-data copy when the judge asks for its ``value``, and otherwise as a reference: the object
stays here, numbered, until the judge releases it or the check ends.

Nothing here is trusted by the judge: the learner's code runs in this process and may change any
of it. The judge treats every answer as data, bounded and decoded without running code.
"""

from __future__ import annotations
import __future__

import contextlib
import importlib
import importlib.util
import math
import operator
import os
import socket
import sys
import traceback
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from trainer.grading.wire import Ref, WireError, decode, encode, receive, send

HELPERS = "katas_checks_helpers"
"""The module that holds what the checks define in this process (``remote.define``)."""

MESSAGE_LIMIT = 4000
"""Characters of an exception's message that travel; the judge cuts further for the learner."""

BATCH = 64
"""Items one ``next`` request returns at most (iteration costs one round trip per batch)."""

SCALARS = (type(None), bool, int, float, complex, str)

BINARY: dict[str, Callable[[Any, Any], Any]] = {
    name: getattr(operator, name)
    for name in [
        "add",
        "sub",
        "mul",
        "truediv",
        "floordiv",
        "mod",
        "pow",
        "matmul",
        "and_",
        "or_",
        "xor",
        "lshift",
        "rshift",
        "iadd",
        "isub",
        "imul",
        "itruediv",
        "ifloordiv",
        "imod",
        "ipow",
        "imatmul",
        "iand",
        "ior",
        "ixor",
        "ilshift",
        "irshift",
        "lt",
        "le",
        "eq",
        "ne",
        "gt",
        "ge",
    ]
}
UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": operator.neg,
    "pos": operator.pos,
    "abs": operator.abs,
    "invert": operator.invert,
}


class Server:
    """One grading's learner side: the learner's module, and the objects the judge holds."""

    def __init__(self, sock: socket.socket, learner: Path, module_name: str) -> None:
        self.sock = sock
        self.learner = learner
        self.module_name = module_name
        self.module: ModuleType | None = None
        self.objects: dict[int, object] = {}
        self._scope: dict[str, Any] | None = None
        self._code: types.CodeType | None = None

    # -- references -------------------------------------------------------------------------

    def refer(self, value: object) -> Ref:
        self.objects[id(value)] = value
        kind = type(value)
        return Ref(id(value), f"{kind.__module__}.{kind.__qualname__}")

    def result(self, value: object, depth: int = 0) -> object:
        """Scalars and torch's small value types by value; a tuple as a tuple of results (so
        ``for name, p in m.named_parameters()`` costs no request per item); anything else by
        reference."""
        kind = type(value)
        if kind in SCALARS or kind in _torch_values():
            return value
        if kind is tuple and depth < 2 and len(value) <= 16:  # type: ignore[arg-type]
            return tuple(self.result(v, depth + 1) for v in value)  # type: ignore[attr-defined]
        return self.refer(value)

    def resolve(self, value: object) -> Any:
        """Operands as objects: references looked up, containers of them rebuilt."""
        kind = type(value)
        if kind is Ref:
            try:
                return self.objects[value.id]  # type: ignore[attr-defined]
            except KeyError:
                raise LookupError("the checks referred to an object that is gone") from None
        if kind is list:
            return [self.resolve(v) for v in value]  # type: ignore[attr-defined]
        if kind is tuple:
            return tuple(self.resolve(v) for v in value)  # type: ignore[attr-defined]
        if kind is dict:
            return {self.resolve(k): self.resolve(v) for k, v in value.items()}  # type: ignore[attr-defined]
        return value

    # -- operations -------------------------------------------------------------------------

    def op_import(self) -> object:
        """The learner's file, imported afresh: no check sees another's module state."""
        self.objects.clear()
        self.module = None
        self._scope = None
        sys.modules.pop(self.module_name, None)
        spec = importlib.util.spec_from_file_location(self.module_name, self.learner)
        if spec is None or spec.loader is None:
            raise ImportError(f"your file {self.learner.name} cannot be imported")
        module = importlib.util.module_from_spec(spec)
        if self._code is None:  # compiled once: each check runs the same code in a new module
            self._code = compile(self.learner.read_bytes(), str(self.learner), "exec")
        sys.modules[self.module_name] = module
        try:
            exec(self._code, module.__dict__)
        except BaseException:
            sys.modules.pop(self.module_name, None)
            raise
        self.module = module
        return self.refer(module)

    def op_module(self, name: str) -> object:
        return self.refer(importlib.import_module(name))

    def op_getattr(self, obj: object, name: str) -> object:
        return self.result(getattr(obj, name))

    def op_setattr(self, obj: object, name: str, value: object) -> None:
        setattr(obj, name, value)

    def op_delattr(self, obj: object, name: str) -> None:
        delattr(obj, name)

    def op_call(self, fn: Callable[..., object], args: list[Any], kwargs: dict[str, Any]) -> object:
        return self.result(fn(*args, **kwargs))

    def op_callattr(
        self, obj: object, name: str, args: list[Any], kwargs: dict[str, Any]
    ) -> object:
        return self.result(getattr(obj, name)(*args, **kwargs))

    def op_getitem(self, obj: Any, key: object) -> object:
        return self.result(obj[key])

    def op_setitem(self, obj: Any, key: object, value: object) -> None:
        obj[key] = value

    def op_delitem(self, obj: Any, key: object) -> None:
        del obj[key]

    def op_iter(self, obj: Any) -> object:
        return self.refer(iter(obj))

    def op_next(self, iterator: Iterator[object]) -> object:
        """Up to :data:`BATCH` items, and whether the iterator is exhausted."""
        items = []
        for _ in range(BATCH):
            try:
                items.append(self.result(next(iterator)))
            except StopIteration:
                return [items, True]
        return [items, False]

    def op_len(self, obj: Any) -> int:
        return len(obj)

    def op_bool(self, obj: object) -> bool:
        return bool(obj)

    def op_contains(self, obj: Any, item: object) -> bool:
        return item in obj

    def op_binary(self, name: str, left: object, right: object) -> object:
        return self.result(BINARY[name](left, right))

    def op_unary(self, name: str, value: object) -> object:
        return self.result(UNARY[name](value))

    def op_exitwith(self, manager: Any, name: str, bases: list[str], message: str) -> bool:
        """``manager.__exit__`` with a stand-in for the judge's exception: the builtin class it
        derives from, under its own name, with its message."""
        import builtins

        base: type[BaseException] = Exception
        for candidate in bases:
            found = getattr(builtins, candidate, None)
            if isinstance(found, type) and issubclass(found, Exception):
                base = found
                break
        kind = type(name, (base,), {})
        try:
            stand_in = kind(message)
        except TypeError:
            kind = type(name, (Exception,), {})
            stand_in = kind(message)
        return bool(manager.__exit__(kind, stand_in, None))

    def op_value(self, obj: object) -> object:
        return _Value(obj)

    def op_str(self, obj: object, kind: str) -> str:
        text = repr(obj) if kind == "repr" else str(obj)
        return text[:MESSAGE_LIMIT]

    def op_type(self, obj: object) -> list[str]:
        """The names of the object's classes, most derived first (``module.QualName``)."""
        return [f"{c.__module__}.{c.__qualname__}" for c in type(obj).__mro__][:64]

    def op_isinstance(self, obj: object, classes: object) -> bool:
        return isinstance(obj, classes)  # type: ignore[arg-type]

    def op_release(self, ids: list[int]) -> None:
        for number in ids:
            self.objects.pop(number, None)

    def scope(self) -> dict[str, Any]:
        """Where the checks' own code runs here: torch, nn, F, math, the learner's module as
        ``learner``, and whatever :meth:`op_define` defined since the module was imported."""
        if self._scope is None:
            import torch

            # A module of its own, so what is defined here can be pickled (torch.save) by name.
            helpers = types.ModuleType(HELPERS)
            helpers.__dict__.update(
                torch=torch, nn=torch.nn, F=torch.nn.functional, math=math, learner=self.module
            )
            sys.modules[HELPERS] = helpers
            self._scope = helpers.__dict__
        return self._scope

    def op_eval(self, source: str, names: dict[str, Any]) -> object:
        """An expression the checks wrote, evaluated here (to build objects around the
        learner's: an optimizer over its parameters, a hook on its module)."""
        scope = dict(self.scope())
        scope.update(names)
        return self.result(eval(compile(source, "<checks>", "eval"), scope))

    def op_evalvalue(self, source: str, names: dict[str, Any]) -> object:
        """:meth:`op_eval`, its result sent by value: one round trip for a computed copy."""
        scope = dict(self.scope())
        scope.update(names)
        return _Value(eval(compile(source, "<checks>", "eval"), scope))

    def op_define(self, source: str, name: str) -> object:
        """A function or class the checks defined, defined here from its source (a model to
        hand the learner's function, a hook to put on the learner's module)."""
        scope = self.scope()
        # Annotations stay strings: a helper's ``x: Any`` needs no import here.
        flags = __future__.annotations.compiler_flag
        exec(compile(source, f"<checks: {name}>", "exec", flags=flags, dont_inherit=True), scope)
        return self.result(scope[name])

    def op_vjp(
        self,
        fn: Callable[..., object],
        args: list[Any],
        wrt: list[int],
        cotangents: list[Any],
        second: list[Any] | None,
    ) -> object:
        """Gradients of ``fn(*args)`` against the cotangents (a vector-Jacobian product), by
        value; with ``second`` (cotangents for those gradients), the gradients of that product
        with respect to the inputs and the first cotangents (a double backward)."""
        import torch

        args = list(args)
        for i in wrt:
            args[i] = args[i].detach().clone().requires_grad_()
        upstream = [c.detach().clone().requires_grad_(second is not None) for c in cotangents]
        with torch.enable_grad():
            outputs = _differentiable(fn(*args))
            if len(outputs) != len(upstream):
                raise ValueError(f"{len(outputs)} differentiable outputs, expected {len(upstream)}")
            leaves = [args[i] for i in wrt]
            grads = torch.autograd.grad(
                outputs, leaves, upstream, allow_unused=True, create_graph=second is not None
            )
            if second is None:
                return _Value([_zero_if_none(g, x) for g, x in zip(grads, leaves, strict=True)])
            pairs = [
                (g, u)
                for g, u in zip(grads, second, strict=True)
                if g is not None and g.requires_grad
            ]
            if not pairs:
                return _Value([torch.zeros_like(x) for x in [*leaves, *upstream]])
            targets = [g for g, _ in pairs]
            seconds = torch.autograd.grad(
                targets, [*leaves, *upstream], [u for _, u in pairs], allow_unused=True
            )
            return _Value(
                [_zero_if_none(g, x) for g, x in zip(seconds, [*leaves, *upstream], strict=True)]
            )

    def op_callvalue(self, fn: Callable[..., object], arg_lists: list[list[Any]]) -> object:
        """``fn`` called on each argument list, the results by value (finite differences)."""
        import torch

        with torch.enable_grad():
            return _Value([fn(*args) for args in arg_lists])

    def op_vjpmany(
        self,
        fn: Callable[..., object],
        args: list[Any],
        wrt: list[int],
        cotangent_sets: list[list[Any]],
        second_sets: list[list[Any]] | None,
    ) -> object:
        """:meth:`op_vjp` for each cotangent set, by value."""
        results = []
        for i, cotangents in enumerate(cotangent_sets):
            second = second_sets[i] if second_sets is not None else None
            answer = self.op_vjp(fn, args, wrt, cotangents, second)
            results.append(answer.value)  # type: ignore[attr-defined]
        return _Value(results)

    def op_vjpeach(
        self, fn: Callable[..., object], wrt: list[int], pairs: list[list[Any]]
    ) -> object:
        """For each (arguments, cotangents) pair, :meth:`op_vjp`'s gradients, by value."""
        results = []
        for args, cotangents in pairs:
            answer = self.op_vjp(fn, args, wrt, cotangents, None)
            results.append(answer.value)  # type: ignore[attr-defined]
        return _Value(results)

    def op_saved(self, fn: Callable[..., object], args: list[Any]) -> int:
        """How many tensors autograd packs for backward while ``fn(*args)`` runs."""
        import torch

        count = 0

        def pack(tensor: torch.Tensor) -> torch.Tensor:
            nonlocal count
            count += 1
            return tensor

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            fn(*args)
        return count

    def op_sgd(self, params: Any, lr: float) -> None:
        import torch

        with torch.no_grad():
            for param in params:
                if param.grad is not None:
                    param -= lr * param.grad

    # -- the loop ---------------------------------------------------------------------------

    def serve(self) -> None:
        """Answer requests until the judge closes the socket or says ``exit``."""
        while True:
            try:
                frame = receive(self.sock)
            except (OSError, WireError):
                return
            if frame is None:
                return
            try:
                request = decode(frame)
                if type(request) is not list or not request or type(request[0]) is not str:
                    raise WireError("not a request")
                if request[0] == "exit":
                    return
                handler = getattr(self, f"op_{request[0]}")
                answer: list[object] = ["ok", handler(*(self.resolve(a) for a in request[1:]))]
            except BaseException as exc:  # whatever the learner's code raised, SystemExit too
                answer = ["err", self.describe(exc)]
            try:
                frame_out = self.reply(answer)
            except BaseException as exc:
                frame_out = self.reply(["err", self.describe(exc)])
            try:
                send(self.sock, frame_out)
            except OSError:
                return

    def reply(self, answer: list[object]) -> bytes:
        value = answer[1]
        if type(value) is _Value:
            try:
                return encode(["ok", value.value])
            except WireError as exc:
                return encode(["err", {"type": "builtins.TypeError", "bases": ["TypeError"],
                                       "message": f"it cannot be sent to the checks: {exc}",
                                       "frames": [], "plain": True}])  # fmt: skip
        return encode(answer, refer=self.refer)

    def describe(self, exc: BaseException) -> dict[str, object]:
        """An exception as data: its class names, message, and where in the learner's file."""
        kind = type(exc)
        try:
            message = str(exc)[:MESSAGE_LIMIT]
        except BaseException:
            message = "(its message could not be read)"
        frames = []
        target = str(self.learner)
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == target:
                frames.append([frame.lineno or 0, (frame.line or "").strip()[:200]])
        description: dict[str, object] = {
            "type": f"{kind.__module__}.{kind.__qualname__}"[:200],
            "bases": [c.__name__ for c in kind.__mro__ if c.__module__ == "builtins"][:16],
            "message": message,
            "frames": frames[-8:],
        }
        if isinstance(exc, SyntaxError):
            # [line, text, message, column, end column]: the judge draws Python's caret from it
            same_line = exc.end_lineno == exc.lineno
            description["syntax"] = [
                exc.lineno or 0,
                (exc.text or "").rstrip()[:200],
                exc.msg,
                exc.offset or 0,
                (exc.end_offset or 0) if same_line else 0,
            ]
        if isinstance(exc, SystemExit):
            description["code"] = repr(exc.code)[:200]
        if isinstance(exc, OSError) and type(exc.errno) is int:
            description["errno"] = exc.errno
        if isinstance(exc, AttributeError) and exc.obj is self.module and self.module is not None:
            description["missing"] = str(exc.name)[:200]
        return description


class _Value:
    """An answer sent by value (plain data) rather than as a reference."""

    def __init__(self, value: object) -> None:
        self.value = value


_TORCH_VALUES: tuple[type, ...] = ()


def _torch_values() -> tuple[type, ...]:
    global _TORCH_VALUES
    if not _TORCH_VALUES:
        import torch

        _TORCH_VALUES = (torch.Size, torch.dtype, torch.device)
    return _TORCH_VALUES


def _differentiable(result: object) -> list[Any]:
    import torch

    items = result if isinstance(result, (tuple, list)) else (result,)
    return [t for t in items if isinstance(t, torch.Tensor) and t.requires_grad]


def _zero_if_none(grad: Any, like: Any) -> Any:
    import torch

    return torch.zeros_like(like).detach() if grad is None else grad.detach()


def serve(sock: socket.socket, learner: Path, module_name: str) -> None:
    """Serve the judge on ``sock`` until it is done, then leave at once."""
    Server(sock, learner, module_name).serve()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # the learner may have replaced or closed it
            stream.flush()
    os._exit(0)
