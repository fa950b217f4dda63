"""The trainer's pytest plugin, loaded only inside a grading child process.

It gives hidden checks their two fixtures (``learner`` and ``device``) and reports every check
to the parent over the result channel rather than through pytest's terminal output, so the
parent never has to scrape text that learner code can also print.
"""

from __future__ import annotations

import errno
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any

import pytest

from trainer.errors import LearnerImportError
from trainer.grading.protocol import (
    Channel,
    CheckInfo,
    CollectedRecord,
    CollectErrorRecord,
    ImportErrorRecord,
    LimitRecord,
    ResultRecord,
    StartRecord,
    TamperRecord,
)
from trainer.grading.verdict import CheckStatus

if TYPE_CHECKING:
    import torch

MESSAGE_LIMIT = 2000
"""Longest learner-facing message per check; longer ones are cut with a notice."""


@dataclass
class Settings:
    """What the runner hands the plugin before pytest starts."""

    learner_path: Path
    device: str
    channel: Channel
    module_name: str = "learner"
    memory_mb: int = 0
    file_mb: int = 0
    before_tests: Callable[[], None] | None = None
    """Called once the checks are collected and before any learner code runs: the sandbox."""
    _import_reported: bool = field(default=False, init=False)
    _limit_reported: bool = field(default=False, init=False)
    _guard: Guard | None = field(default=None, init=False)
    _tampered: str | None = field(default=None, init=False)
    _durations: dict[str, float] = field(default_factory=dict, init=False)
    _outcomes: dict[str, tuple[CheckStatus, str]] = field(default_factory=dict, init=False)


_settings: Settings | None = None


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings


def _get() -> Settings:
    if _settings is None:  # pragma: no cover - only when misused outside the runner
        raise RuntimeError("trainer.grading.child.plugin used without trainer.grading.child.run")
    return _settings


def check_name(item: pytest.Item) -> str:
    """The learner-facing name: the first docstring line, else the function name in words."""
    func = getattr(item, "obj", None)
    doc = getattr(func, "__doc__", None)
    if doc and doc.strip():
        name = doc.strip().splitlines()[0].strip()
    else:
        name = item.name.split("[", 1)[0].removeprefix("test_").replace("_", " ")
    callspec = getattr(item, "callspec", None)
    return f"{name} [{callspec.id}]" if callspec is not None else name


def check_id(item: pytest.Item) -> str:
    """A stable id for the check: its name inside checks.py, whatever the rootdir."""
    return item.nodeid.split("::", 1)[-1]


def import_learner(path: Path, module_name: str) -> ModuleType:
    """Import the learner's file as a brand-new module, whatever happened to the last one."""
    sys.modules.pop(module_name, None)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise LearnerImportError(f"your file {path.name} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        where = f"line {exc.lineno}" if exc.lineno else "somewhere"
        text = (exc.text or "").rstrip()
        shown = f"\n    {text}" if text else ""
        raise LearnerImportError(
            f"your file has a syntax error at {where}: {exc.msg}{shown}"
        ) from None
    except SystemExit as exc:
        sys.modules.pop(module_name, None)
        raise LearnerImportError(
            f"your file called sys.exit({exc.code!r}) while being imported; "
            "keep top-level code to definitions"
        ) from None
    except BaseException as exc:
        sys.modules.pop(module_name, None)
        detail = describe_exception(exc, exc.__traceback__, path).removeprefix("your code raised ")
        raise LearnerImportError(f"your file failed to import: {detail}", exc) from None
    return module


def _learner_frames(tb: TracebackType | None, learner: Path) -> list[traceback.FrameSummary]:
    frames = traceback.extract_tb(tb)
    target = str(learner.resolve())
    return [f for f in frames if f.filename and str(Path(f.filename).resolve()) == target]


def describe_exception(exc: BaseException, tb: TracebackType | None, learner: Path) -> str:
    """Say what went wrong in learner terms: the error and where in *their* file, no check code."""
    kind = type(exc).__name__
    text = str(exc).strip()
    head = f"{kind}: {text}" if text else kind
    module = getattr(exc, "obj", None)
    if isinstance(exc, AttributeError) and isinstance(module, ModuleType):
        origin = getattr(module, "__file__", None)
        if origin and Path(origin).resolve() == learner.resolve():
            return f"your file does not define {exc.name!r}, which the checks use"
    frames = _learner_frames(tb, learner)
    if frames:
        last = frames[-1]
        code = f"\n    {last.line.strip()}" if last.line else ""
        return f"your code raised {head}\n  at {learner.name}, line {last.lineno}{code}"
    return head


def _limit_message(exc: BaseException, settings: Settings) -> str | None:
    """A learner-facing sentence when ``exc`` means a resource limit was hit, else None."""
    text = str(exc)
    if (
        isinstance(exc, MemoryError)
        or "can't allocate memory" in text
        or (isinstance(exc, RuntimeError) and "not enough memory" in text)
    ):
        detail = text.strip().splitlines()[0][:200] if text.strip() else "MemoryError"
        return (
            f"your code exceeded the memory limit of {settings.memory_mb} MB ({detail}); "
            "use smaller tensors"
        )
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return f"your code wrote a file larger than the limit of {settings.file_mb} MB"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return (
            f"your code filled its scratch folder (about {settings.file_mb} MB in all); "
            "write less to disk"
        )
    return None


def _message_for(excinfo: pytest.ExceptionInfo[BaseException], settings: Settings) -> str:
    exc = excinfo.value
    learner = settings.learner_path
    if isinstance(exc, LearnerImportError):
        return str(exc)
    limit = _limit_message(exc, settings)
    if limit is not None:
        if not settings._limit_reported:
            settings._limit_reported = True
            settings.channel.send(LimitRecord(message=limit))
        return limit
    if isinstance(exc, AssertionError):
        text = str(exc).strip()
        return text or "the check failed (it gave no details)"
    if isinstance(exc, pytest.fail.Exception):
        return str(exc.msg)
    if isinstance(exc, pytest.skip.Exception):
        return f"skipped: {exc.msg}"
    return describe_exception(exc, excinfo.tb, learner)


def _cap(message: str) -> str:
    if len(message) <= MESSAGE_LIMIT:
        return message
    cut = len(message) - MESSAGE_LIMIT
    return message[:MESSAGE_LIMIT] + f"\n… [{cut} more characters cut]"


GUARDED_MODULES = (
    "builtins",
    "trainer.grading.child.plugin",
    "trainer.checks",
    "trainer.grading.protocol",
    "_pytest.runner",
    "_pytest.python",
    "_pytest.fixtures",
    "_pytest.main",
    "_pytest.reports",
    "_pytest.outcomes",
    "pluggy._hooks",
    "pluggy._callers",
    "pluggy._execution",
    "torch",
    "torch.testing",
    "torch.autograd",
    "torch.autograd.gradcheck",
    "torch.nn.functional",
)
"""Modules whose attributes the checks and the reporting rely on."""

GUARD_EXEMPT = frozenset({("torch", "manual_seed"), ("torch", "Storage")})
"""Attributes torch rebinds itself: dynamo wraps ``manual_seed`` when the first optimizer or
``torch.func`` transform runs, and ``set_default_dtype`` swaps ``Storage``. Rebinding them
cannot forge a comparison."""

GUARDED_CLASSES = (
    ("torch", "Tensor"),
    ("torch.nn", "Module"),
    ("torch.nn", "Parameter"),
    ("_pytest.runner", "CallInfo"),
    ("_pytest.python", "Function"),
    ("trainer.grading.protocol", "Channel"),
)


class Guard:
    """Notices learner code that rebinds what grading relies on (``torch.equal``, pytest's
    reporting, this plugin, ``isinstance`` …), so a monkeypatched pass is never reported.

    Taken after collection and before any learner code runs; compared after every check.
    Attributes added later (torch imports some lazily) are allowed; changed or removed ones
    are not. A determined learner who also defeats this guard is outside the threat model.
    """

    def __init__(self, entries: list[tuple[str, dict[str, object]]]) -> None:
        self._entries = entries

    @classmethod
    def snapshot(cls) -> Guard:
        entries: list[tuple[str, dict[str, object]]] = []
        for name in GUARDED_MODULES:
            module = sys.modules.get(name)
            if module is not None:
                entries.append((name, dict(vars(module))))
        for module_name, attr in GUARDED_CLASSES:
            owner = getattr(sys.modules.get(module_name), attr, None)
            if isinstance(owner, type):
                entries.append((f"{module_name}.{attr}", dict(vars(owner))))
        return cls(entries)

    def changed(self) -> str | None:
        """A learner-facing sentence naming the first rebound attribute, or None."""
        for owner_name, before in self._entries:
            owner: object = sys.modules.get(owner_name)
            if owner is None and "." in owner_name:
                module_name, attr = owner_name.rsplit(".", 1)
                owner = getattr(sys.modules.get(module_name), attr, None)
            if owner is None:
                return f"your code removed the module {owner_name}; the checks cannot be trusted"
            now = vars(owner)
            for key, value in before.items():
                if (owner_name, key) in GUARD_EXEMPT:
                    continue
                if now.get(key, _MISSING) is not value:
                    return (
                        f"your code replaced {owner_name}.{key}, which grading relies on; "
                        "the checks cannot be trusted, so this run cannot pass"
                    )
        return None


_MISSING = object()


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def learner() -> Iterator[ModuleType]:
    """The learner's file, imported fresh for every check so no check sees another's state."""
    settings = _get()
    try:
        module = import_learner(settings.learner_path, settings.module_name)
    except LearnerImportError as exc:
        limit = _limit_message(exc.cause, settings) if exc.cause is not None else None
        if limit is not None:
            exc = LearnerImportError(f"your file failed to import: {limit}")
        if not settings._import_reported:
            settings._import_reported = True
            settings.channel.send(ImportErrorRecord(message=str(exc)))
            if limit is not None:
                settings._limit_reported = True
                settings.channel.send(LimitRecord(message=limit))
        raise exc from None
    yield module
    sys.modules.pop(settings.module_name, None)


@pytest.fixture(scope="session")
def device() -> torch.device:
    """The device being graded on; checks put every tensor and module there."""
    import torch

    return torch.device(_get().device)


# -- reporting ------------------------------------------------------------------------------


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        settings = _get()
        crash = getattr(report.longrepr, "reprcrash", None)
        detail = getattr(crash, "message", None) or str(report.longrepr).splitlines()[-1]
        settings.channel.send(
            CollectErrorRecord(message=f"the kata's checks could not be loaded: {detail}")
        )


def pytest_collection_finish(session: pytest.Session) -> None:
    settings = _get()
    checks = tuple(CheckInfo(id=check_id(item), name=check_name(item)) for item in session.items)
    settings.channel.send(CollectedRecord(checks=checks))
    if settings.before_tests is not None:
        settings.before_tests()
    settings._guard = Guard.snapshot()


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    _get().channel.send(StartRecord(id=nodeid.split("::", 1)[-1]))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    settings = _get()
    settings._durations[item.nodeid] = settings._durations.get(item.nodeid, 0.0) + call.duration
    if settings._tampered is None and settings._guard is not None:
        settings._tampered = settings._guard.changed()
        if settings._tampered is not None:
            settings.channel.send(TamperRecord(message=settings._tampered))
    if settings._tampered is not None:
        settings._outcomes[item.nodeid] = (CheckStatus.ERROR, settings._tampered)
        return
    if call.excinfo is None or item.nodeid in settings._outcomes:
        return
    if report.skipped:
        status = CheckStatus.SKIPPED
    elif call.when == "call":
        status = CheckStatus.FAILED
    else:
        status = CheckStatus.ERROR
    settings._outcomes[item.nodeid] = (status, _cap(_message_for(call.excinfo, settings)))


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    settings = _get()
    status, message = settings._outcomes.pop(nodeid, (CheckStatus.PASSED, ""))
    duration = settings._durations.pop(nodeid, 0.0)
    settings.channel.send(
        ResultRecord(
            id=nodeid.split("::", 1)[-1],
            status=status,
            message=message,
            duration=round(duration, 6),
        )
    )
