"""``remote``: the learner process's own modules, for checks that build around learner objects.

An optimizer over a learner module's parameters, a hook on one of its layers, a data loader over
its dataset: such objects must live where the learner's objects live. ``remote.torch`` is torch
as the learner process imported it (``remote.torch.optim.SGD(net.parameters(), lr=0.1)``),
``remote.module("torch.utils.data")`` any other module there, ``remote.define(fn_or_class)`` the
checks' own helper defined there from its source, and ``remote.eval(source, **names)`` an
expression evaluated there, with ``torch``, ``nn``, ``F``, ``math``, the learner's module as
``learner`` and what was defined in scope, plus ``names`` (plain data by value, learner objects
by reference).

What runs there runs beside the learner's code, which may have changed torch in that process:
build with it, never compare with it. Comparisons belong in the judge, on :func:`plain` copies
(``trainer.checks``), where no learner code can reach them.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from typing import Any

from trainer.grading.judge.link import Link, Proxy

__all__ = ["Remote"]


class Remote:
    """The learner process's modules, seen from a check."""

    def __init__(self, link: Link) -> None:
        self._link = link
        self._defined: dict[str, tuple[int, Any]] = {}

    @property
    def torch(self) -> Any:
        return self._link.module("torch")

    def module(self, name: str) -> Any:
        return self._link.module(name)

    def eval(self, source: str, **names: object) -> Any:
        """Evaluate the expression ``source`` in the learner process; its result (a proxy, or
        a scalar by value)."""
        return self._link.request("eval", source, names)

    def fetch(self, source: str, **names: object) -> Any:
        """:meth:`eval`, its result copied back as plain data in the same round trip (a list of
        the learner's parameters' values, say: ``remote.fetch("[p.detach() for p in
        net.parameters()]", net=net)``)."""
        return self._link.request("evalvalue", source, names)

    def define(self, obj: Callable[..., object] | type) -> Any:
        """The same function or class, defined in the learner process from its source.

        For what a check hands the learner's code or hangs on its objects: a small model for a
        training loop, a loss function, a hook. ``obj`` must be a module-level function or
        class of ``checks.py``, self-contained but for ``torch``, ``nn``, ``F``, ``math`` and
        what was defined before it in the same check. Its source becomes visible to the
        learner's code, so keep answers out of it.
        """
        name = obj.__name__
        defined = self._defined.get(name)
        if defined is not None and defined[0] == self._link.generation:
            return defined[1]
        source = textwrap.dedent(inspect.getsource(obj))
        made = self._link.request("define", source, name)
        self._defined[name] = (self._link.generation, made)
        return made

    def tensor(self, value: object) -> Any:
        """A copy of the judge's ``value`` (a tensor, or plain data holding tensors) in the
        learner process, for learner code to work on: a leaf that requires grad stays one."""
        return self.eval("value", value=value)

    def isinstance(self, obj: object, classes: object) -> bool:
        """``isinstance`` decided in the learner process (for the learner's own classes)."""
        return self._link.request("isinstance", obj, classes) is True

    def value(self, proxy: Proxy) -> Any:
        """``proxy``'s plain-data copy (see :func:`trainer.checks.plain` for tensors)."""
        return self._link.value(proxy)
