"""Devices: how a user names one, which one a grading uses, and which ones this machine has.

This module never imports torch, so the CLI, the TUI and the batch grader can all use it:

- :func:`parse_device` is the ``--device`` argument type of every grading command
  (``cpu``, ``cuda``, ``cuda:N``, ``mps``, ``auto``).
- :func:`choose_device` is the decision the grading child makes once torch has told it what the
  machine has (the child calls it from ``trainer.grading.judge.run.resolve_device``). It is pure,
  so every branch, GPUs included, is tested on a machine without one.
- :func:`present_devices` guesses, without torch, which device kinds this machine has, for
  listings (``katas list``, the TUI's tree). Only a grading child's answer is authoritative:
  a kata is never passed or failed on this guess.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path

__all__ = [
    "DEVICE_CHOICES",
    "choose_device",
    "missing_devices",
    "parse_device",
    "present_devices",
    "present_here",
    "torch_build",
]

DEVICE_CHOICES = ("cpu", "cuda", "mps", "auto")
"""What ``--device`` accepts (``cuda`` also as ``cuda:N``)."""

_SPELLING = re.compile(r"^(cpu|mps|auto|cuda(?::\d+)?)$")


def parse_device(value: str) -> str:
    """The ``--device`` type: the spelling normalised, or a usage error naming the choices.

    Kept as text, not ``torch.device``: the process that parses the command line never imports
    torch; the grading child resolves ``auto`` and checks ``cuda:N`` against its GPUs.
    """
    text = value.strip().lower()
    if not _SPELLING.match(text):
        import argparse  # only on a bad spelling: the trainer's start-up never parses one

        raise argparse.ArgumentTypeError(
            f"{value!r} is not a device: use cpu, cuda, cuda:N, mps or auto"
        )
    return text


def choose_device(
    requested: str, allowed: Iterable[str], *, cuda_count: int, mps: bool
) -> tuple[str, str | None]:
    """``(device, None)`` to grade on, or ``(requested, reason)`` when it cannot be done here.

    ``auto`` takes the first the kata lists among what the machine has, GPUs first: ``cuda``,
    then ``mps``, then ``cpu``. An explicit device is used as asked or not at all (never a
    silent fall back to the CPU: a pass must be a pass on the device the user named).
    ``cuda_count`` is the number of CUDA GPUs torch can use, ``mps`` whether Apple's is usable.
    """
    kinds = tuple(allowed)
    have = {"cpu": True, "cuda": cuda_count > 0, "mps": mps}
    if requested == "auto":
        for kind in ("cuda", "mps", "cpu"):
            if kind in kinds and have[kind]:
                return kind, None
        return requested, f"this kata needs {' or '.join(kinds)}, and this machine has none"
    kind, _, index = requested.partition(":")
    if kind not in kinds:
        return requested, f"this kata runs on {', '.join(kinds)}, not on {kind}"
    if kind == "cuda":
        if cuda_count == 0:
            return requested, "this machine has no CUDA GPU that torch can use"
        if index and int(index) >= cuda_count:
            gpus = "1 GPU, cuda:0" if cuda_count == 1 else f"{cuda_count} GPUs, cuda:0"
            if cuda_count > 1:
                gpus += f" to cuda:{cuda_count - 1}"
            return requested, f"there is no {requested} (this machine has {gpus})"
    if kind == "mps" and not mps:
        return requested, "this machine has no Apple MPS device that torch can use"
    return requested, None


# -- what this machine has, without importing torch ----------------------------------------


def torch_build() -> dict[str, str | None]:
    """``{"cuda": ..., "hip": ...}`` of the installed torch, read from ``torch/version.py``.

    ``importlib.util.find_spec`` locates the package without running it, so this costs a file
    read, not torch's import. Empty when torch is not installed or the file is unreadable.
    """
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return {}
    if spec is None or not spec.submodule_search_locations:
        return {}
    for folder in spec.submodule_search_locations:
        try:
            text = (Path(folder) / "version.py").read_text(encoding="utf-8")
        except OSError:
            continue
        build: dict[str, str | None] = {}
        for key in ("cuda", "hip"):
            found = re.search(rf"^{key}\s*(?::[^=\n]*)?=\s*['\"]([^'\"]+)['\"]", text, re.M)
            build[key] = found.group(1) if found else None
        return build
    return {}


def _gpu_nodes(dev: Path, proc: Path) -> bool:
    """Whether the kernel exposes a GPU torch could drive: NVIDIA, WSL's bridge or ROCm."""
    try:
        nvidia = any((proc / "driver" / "nvidia" / "gpus").iterdir())
    except OSError:
        nvidia = False
    try:
        names = {p.name for p in dev.iterdir()}
    except OSError:
        names = set()
    numbered = any(re.fullmatch(r"nvidia\d+", name) for name in names)
    return nvidia or numbered or "dxg" in names or "kfd" in names


def present_devices(
    *,
    env: dict[str, str] | None = None,
    build: dict[str, str | None] | None = None,
    dev: Path = Path("/dev"),
    proc: Path = Path("/proc"),
    system: str | None = None,
    machine: str | None = None,
) -> frozenset[str]:
    """The device kinds this machine probably has, judged without importing torch.

    ``cuda`` needs a torch built with CUDA (or ROCm), a GPU the kernel exposes, and
    ``CUDA_VISIBLE_DEVICES`` not hiding them all; ``mps`` needs macOS on Apple silicon. The
    guess is for listings only; the keyword arguments let tests describe any machine.
    """
    environ = os.environ if env is None else env
    facts = torch_build() if build is None else build
    kinds = {"cpu"}
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    hidden = visible is not None and visible.strip() in ("", "-1")
    if (facts.get("cuda") or facts.get("hip")) and not hidden and _gpu_nodes(dev, proc):
        kinds.add("cuda")
    if (system or _system()) == "Darwin" and (machine or os.uname().machine) == "arm64":
        kinds.add("mps")
    return frozenset(kinds)


def _system() -> str:
    """``platform.system()`` without importing ``platform`` (the trainer's start-up asks)."""
    names = {"darwin": "Darwin", "linux": "Linux", "win32": "Windows"}
    return names.get(sys.platform, sys.platform)


@cache
def present_here() -> frozenset[str]:
    """This machine's :func:`present_devices`, probed once per process."""
    return present_devices()


def missing_devices(kata_devices: Iterable[str], present: frozenset[str] | None = None) -> str:
    """What a kata needs that this machine lacks ("cuda", "cuda or mps"), or "" if it can run.

    ``present`` defaults to :func:`present_devices` of this machine, probed once per process.
    """
    kinds = tuple(kata_devices)
    have = present_here() if present is None else present
    if any(kind in have for kind in kinds):
        return ""
    return " or ".join(kinds)
