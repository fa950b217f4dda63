"""The trainer's pytest plugin, loaded only in the judge.

It gives hidden checks their fixtures: ``learner`` (a handle on the learner's module, imported
afresh in the learner process for every check), ``remote`` (the learner process's own modules,
to build objects there) and ``device``. It reports every check to the grader over the result
channel rather than through pytest's terminal output, so the grader never scrapes text. No
learner code runs in this process, so nothing here needs guarding against it: the checks, this
plugin and pytest are out of the learner's reach.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pytest

from trainer.errors import LearnerGone, LearnerImportError, LearnerRaised
from trainer.grading.judge.link import Link, Proxy, limit_of
from trainer.grading.judge.remote import Remote
from trainer.grading.protocol import (
    NOT_IMPORTED,
    NOT_RUN_ENDED,
    Channel,
    CheckInfo,
    CollectedRecord,
    CollectErrorRecord,
    ImportErrorRecord,
    LearnerEndedRecord,
    LimitRecord,
    ResultRecord,
    StartRecord,
)
from trainer.grading.verdict import CheckStatus

if TYPE_CHECKING:
    import torch

MESSAGE_LIMIT = 2000
"""Longest learner-facing message per check; longer ones are cut with a notice."""


@dataclass
class Settings:
    """What the judge hands the plugin before pytest starts."""

    link: Link
    device: str
    channel: Channel
    memory_mb: int = 0
    file_mb: int = 0
    cpu_seconds: float = 0.0
    before_tests: Callable[[], None] | None = None
    """Called once the checks are collected: reports the learner process's sandbox."""
    _import_reported: bool = field(default=False, init=False)
    _limit_reported: bool = field(default=False, init=False)
    _ended_reported: bool = field(default=False, init=False)
    _durations: dict[str, float] = field(default_factory=dict, init=False)
    _outcomes: dict[str, tuple[CheckStatus, str]] = field(default_factory=dict, init=False)


_settings: Settings | None = None


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings


def _get() -> Settings:
    if _settings is None:  # pragma: no cover - only when misused outside the judge
        raise RuntimeError("trainer.grading.judge.plugin used outside trainer.grading.judge.run")
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


# -- what the learner reads when something goes wrong ----------------------------------------


def import_message(exc: LearnerRaised) -> str:
    """Why the learner's file did not import, in the learner's terms."""
    syntax = exc.details.get("syntax")
    if isinstance(exc, SyntaxError) and type(syntax) is list and len(syntax) in (3, 5):
        line, text, msg = syntax[:3]
        where = f"line {line}" if type(line) is int and line > 0 else "somewhere"
        column, end = syntax[3:] if len(syntax) == 5 else (0, 0)
        shown = _source_with_caret(text, column, end) if type(text) is str and text else ""
        return f"your file has a syntax error at {where}: {msg}{shown}"
    if "code" in exc.details and exc.short_type == "SystemExit":
        return (
            f"your file called sys.exit({exc.details['code']}) while being imported; "
            "keep top-level code to definitions"
        )
    detail = describe_learner(exc).removeprefix("your code raised ")
    return f"your file failed to import: {detail}"


def _source_with_caret(text: str, column: object, end: object) -> str:
    """The offending line, dedented, and under it Python's caret at the error's column(s).

    ``column`` and ``end`` are 1-based (``SyntaxError.offset``/``end_offset``, the learner
    process's word); anything that is not a sensible column just leaves the caret out.
    """
    shown = text.lstrip()
    if type(column) is not int or column <= 0:
        return f"\n    {shown}"
    start = min(max(column - 1 - (len(text) - len(shown)), 0), len(shown))
    width = end - column if type(end) is int and end > column else 1
    width = max(1, min(width, len(shown) - start))
    return f"\n    {shown}\n    {' ' * start}{'^' * width}"


def describe_learner(exc: LearnerRaised) -> str:
    """What the learner's code raised, and where in their file: no check code."""
    missing = exc.details.get("missing")
    if missing is not None:
        return f"your file does not define {missing!r}, which the checks use"
    text = str(exc).strip()
    head = f"{exc.short_type}: {text}" if text else exc.short_type
    filename = str(exc.details.get("filename", "your file")).rpartition("/")[2]
    if exc.frames:
        line, code = exc.frames[-1]
        shown = f"\n    {code}" if code else ""
        return f"your code raised {head}\n  at {filename}, line {line}{shown}"
    return f"your code raised {head}"


def describe_exception(exc: BaseException, tb: TracebackType | None) -> str:
    """An exception raised in the judge: the learner's, relayed, or the checks' own error."""
    if isinstance(exc, LearnerRaised):
        return describe_learner(exc)
    kind = type(exc).__name__
    text = str(exc).strip()
    return f"{kind}: {text}" if text else kind


def _limit_message(exc: BaseException, settings: Settings) -> str | None:
    """A learner-facing sentence when ``exc`` means a resource limit was hit, else None."""
    which = limit_of(exc)
    if which == "memory":
        text = str(exc).strip()
        detail = text.splitlines()[0][:200] if text else "MemoryError"
        return (
            f"your code exceeded the memory limit of {settings.memory_mb} MB ({detail}); "
            "use smaller tensors"
        )
    if which == "file":
        return f"your code wrote a file larger than the limit of {settings.file_mb} MB"
    if which == "disk":
        return (
            f"your code filled its scratch folder (about {settings.file_mb} MB in all); "
            "write less to disk"
        )
    return None


def _ended(exc: LearnerGone, settings: Settings) -> tuple[CheckStatus, str]:
    """The learner process is gone: say why once, for the check it ended in (the record makes
    it the verdict's summary); every later check was not run and points there.

    Out of its own CPU time (``SIGXCPU``, where no cgroup counts it) the check it ended in timed
    out, as it does where the grader's cgroup stops the run.
    """
    if settings._ended_reported:
        return CheckStatus.NOT_RUN, NOT_RUN_ENDED
    settings._ended_reported = True
    reason = str(exc)
    out_of_cpu = "SIGXCPU" in reason
    settings.channel.send(LearnerEndedRecord(reason=reason, cpu=out_of_cpu))
    if out_of_cpu:
        return CheckStatus.TIMEOUT, "still running when the CPU time limit ran out"
    return CheckStatus.ERROR, f"the process running your code {reason}"


def _message_for(excinfo: pytest.ExceptionInfo[BaseException], settings: Settings) -> str:
    exc = excinfo.value
    limit = _limit_message(exc, settings)
    if limit is not None:
        if not settings._limit_reported:
            settings._limit_reported = True
            settings.channel.send(LimitRecord(message=limit))
        return limit
    if isinstance(exc, AssertionError) and not isinstance(exc, LearnerRaised):
        text = str(exc).strip()
        return text or "the check failed (it gave no details)"
    if isinstance(exc, pytest.fail.Exception):
        return str(exc.msg)
    if isinstance(exc, pytest.skip.Exception):
        return f"skipped: {exc.msg}"
    return describe_exception(exc, excinfo.tb)


def _cap(message: str) -> str:
    if len(message) <= MESSAGE_LIMIT:
        return message
    cut = len(message) - MESSAGE_LIMIT
    return message[:MESSAGE_LIMIT] + f"\n… [{cut} more characters cut]"


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def learner() -> Iterator[Proxy]:
    """The learner's module, imported afresh in the learner process for every check."""
    settings = _get()
    try:
        module = settings.link.import_learner()
    except LearnerRaised as exc:
        limit = _limit_message(exc, settings)
        error = LearnerImportError(
            f"your file failed to import: {limit}" if limit else import_message(exc)
        )
        if not settings._import_reported:
            settings._import_reported = True
            settings.channel.send(ImportErrorRecord(message=str(error)))
            if limit is not None:
                settings._limit_reported = True
                settings.channel.send(LimitRecord(message=limit))
        raise error from None
    yield module


@pytest.fixture
def remote(learner: Proxy) -> Remote:
    """The learner process's own modules and a way to build objects there (``remote.torch``,
    ``remote.eval(...)``): what a check wraps around the learner's objects lives beside them."""
    return Remote(_get().link)


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
    if call.excinfo is None or item.nodeid in settings._outcomes:
        return
    if isinstance(call.excinfo.value, LearnerImportError):
        # Why is said once, by the import_error record (the verdict's summary), not per check.
        settings._outcomes[item.nodeid] = (CheckStatus.NOT_RUN, NOT_IMPORTED)
        return
    if isinstance(call.excinfo.value, LearnerGone):
        status, message = _ended(call.excinfo.value, settings)
        settings._outcomes[item.nodeid] = (status, _cap(message))
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
