"""Where a stopped learner's code was: Python's ``faulthandler`` dump, asked for and read back.

When a grading runs out of time, the learner process is asked for its stacks before it is
killed: the grader sends :data:`STACK_SIGNAL` to the judge, which passes it on to the learner
process's process group; there ``faulthandler`` (registered before the learner's file is
imported, see :mod:`trainer.grading.learner.process`) writes every thread's stack to the
captured output. It does so from C, at once, so a loop inside a long torch call reports as well
as a Python loop. Where the learner process runs out of its own CPU time (``RLIMIT_CPU``,
without a cgroup) the kernel's ``SIGXCPU`` makes it write the same dump as it dies.

The dump is the learner process's word, written where the learner's code also writes: it is
information for the learner, never evidence. :func:`extract` takes the last dump out of the
output and keeps the few innermost frames in the learner's own file; a process that blocks the
signal, or writes garbage, only means no frames. Nothing here imports torch.
"""

from __future__ import annotations

import contextlib
import re
import signal
from collections.abc import Sequence

from trainer.grading.verdict import StackFrame

STACK_SIGNAL = signal.SIGUSR1
"""Asks a grading's judge, and through it the learner process, for the learner's stacks."""

FRAMES_KEPT = 5
"""Innermost frames of the learner's file shown with a timeout."""

_HEADER = re.compile(r"^(?:(Current thread|Thread) 0x[0-9a-f]+|Stack) \(most recent call first\):$")
_FRAME = re.compile(r'^  File "(.*)", line (\d{1,9}) in (.+)$')
_FILLER = re.compile(r"^  (?:\.\.\.|<no Python frame>)$")
LONGEST_LINE = 1200
"""faulthandler cuts names at 500 characters: a longer line is not one of its frames (and is
never matched, so what the learner's code printed costs little to scan)."""


def _escaped(text: str) -> str:
    """``text`` as faulthandler writes it: printable ASCII as is, the rest as escapes."""
    out = []
    for char in text:
        code = ord(char)
        if 32 <= code < 127:
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


def _unescaped(name: str) -> str:
    with contextlib.suppress(UnicodeError, ValueError):
        name = name.encode("ascii").decode("unicode_escape")
    return _printable(name)


def _printable(text: str) -> str:
    """No control characters (a made-up dump must not move anyone's terminal cursor)."""
    return "".join(char if char.isprintable() else "?" for char in text)


def extract(
    output: str, learner_file: str, source: str | None = None, *, keep: int = FRAMES_KEPT
) -> tuple[tuple[StackFrame, ...], str]:
    """The innermost frames of ``learner_file`` in the last stack dump in ``output``, outermost
    first, and ``output`` without that dump (its frames of the trainer and torch are noise).

    ``learner_file`` is the file's path as the learner process saw it; a path with no folder
    matches by name alone. ``source`` (the learner's file) gives each frame its line of code.
    A dump that names no frame of the learner's file (its code was not running: the trainer's
    was) gives no frames and is still taken out; no dump leaves ``output`` as it is.
    """
    lines = output.split("\n")
    start, end = _last_dump(lines)
    if start is None:
        return (), output
    blocks = _blocks(lines[start:end])
    wanted = _escaped(learner_file)
    by_name = "/" not in learner_file

    def ours(path: str) -> bool:
        return path.rpartition("/")[2] == wanted if by_name else path == wanted

    chosen: list[tuple[str, int, str]] = []
    for _current, frames in sorted(blocks, key=lambda block: not block[0]):  # current first
        mine = [frame for frame in frames if ours(frame[0])]
        if mine:
            chosen = mine[:keep]
            break
    code = source.splitlines() if source is not None else []
    found = tuple(
        StackFrame(
            file=learner_file.rpartition("/")[2],
            line=line,
            function=_unescaped(function)[:100],
            code=_printable(code[line - 1].strip()[:200]) if 0 < line <= len(code) else "",
        )
        for _path, line, function in reversed(chosen)
    )
    return found, "\n".join([*lines[:start], *lines[end:]])


def _match(pattern: re.Pattern[str], line: str) -> re.Match[str] | None:
    return pattern.match(line) if len(line) <= LONGEST_LINE else None


def _last_dump(lines: Sequence[str]) -> tuple[int | None, int]:
    """Where the last dump lies in ``lines``: from a header through its last frame line."""
    start: int | None = None
    end = 0
    index = 0
    while index < len(lines):
        if not _match(_HEADER, lines[index]):
            index += 1
            continue
        first = index
        index += 1
        last = index
        while index < len(lines):
            line = lines[index]
            if _match(_FRAME, line) or _match(_FILLER, line) or _match(_HEADER, line):
                index += 1
                last = index
            elif not line and index + 1 < len(lines) and _match(_HEADER, lines[index + 1]):
                index += 1  # the blank line between two threads
            else:
                break
        start, end = first, last
    return start, end


def _blocks(lines: Sequence[str]) -> list[tuple[bool, list[tuple[str, int, str]]]]:
    """Each thread of a dump: whether it is the one that wrote it, and its frames, innermost
    first (file, line, function)."""
    blocks: list[tuple[bool, list[tuple[str, int, str]]]] = []
    for line in lines:
        header = _match(_HEADER, line)
        if header:
            blocks.append((header.group(1) == "Current thread", []))
            continue
        frame = _match(_FRAME, line)
        if frame and blocks:
            blocks[-1][1].append((frame.group(1), int(frame.group(2)), frame.group(3)))
    return blocks


def describe(frames: Sequence[StackFrame]) -> str:
    """The frames for a timeout's message, like a traceback, said to be the process's word."""
    if not frames:
        return ""
    lines = [
        "where your code was when it was stopped, as the process running it reported "
        "(most recent call last):"
    ]
    for frame in frames:
        lines.append(f"  {frame.file}, line {frame.line}, in {frame.function}")
        if frame.code:
            lines.append(f"    {frame.code}")
    return "\n".join(lines)
