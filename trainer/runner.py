"""Entry point of a grading child: ``python -m trainer.runner``.

Runs one kata's hidden checks with pytest against one learner file and reports over the result
channel (an inherited pipe). It ends with ``os._exit`` straight after the final record, so
``atexit`` handlers and threads the learner left behind cannot change how the run ends.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path
from typing import TextIO

from trainer.protocol import DoneRecord, EnvRecord, UnavailableRecord, send


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m trainer.runner")
    parser.add_argument("--checks", type=Path, required=True)
    parser.add_argument("--learner", type=Path, required=True)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--allowed-devices", default="cpu,cuda")
    parser.add_argument("--channel-fd", type=int, required=True)
    parser.add_argument("--module-name", default="learner")
    return parser.parse_args(argv)


def resolve_device(requested: str, allowed: list[str]) -> tuple[str, str | None]:
    """Pick the concrete device, or say why it cannot be graded here.

    ``auto`` prefers a GPU the kata supports. CUDA is initialised here, in the child, never in
    the parent, so a forking parent stays safe.
    """
    import torch

    cuda_ok = torch.cuda.is_available()
    mps_ok = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if requested == "auto":
        if cuda_ok and "cuda" in allowed:
            return "cuda", None
        if mps_ok and "mps" in allowed:
            return "mps", None
        if "cpu" in allowed:
            return "cpu", None
        return "cpu", f"this kata needs {' or '.join(allowed)}, and this machine has none"
    kind = requested.split(":", 1)[0]
    if kind not in allowed:
        return requested, f"this kata runs on {', '.join(allowed)}, not on {kind}"
    if kind == "cuda":
        if not cuda_ok:
            return requested, "this machine has no CUDA GPU that torch can use"
        index = int(requested.split(":", 1)[1]) if ":" in requested else 0
        if index >= torch.cuda.device_count():
            return requested, f"there is no {requested} (GPUs: {torch.cuda.device_count()})"
    if kind == "mps" and not mps_ok:
        return requested, "this machine has no Apple MPS device"
    return requested, None


def _environment(device: str, usable: bool) -> EnvRecord:
    import torch

    gpu = None
    if usable and device.startswith("cuda"):
        gpu = torch.cuda.get_device_name(torch.device(device))
    return EnvRecord(
        python=platform.python_version(),
        platform=platform.platform(terse=True),
        torch=torch.__version__,
        cuda=torch.version.cuda,
        gpu=gpu,
        device=device,
    )


def run(args: argparse.Namespace, channel: TextIO) -> int:
    device, unavailable = resolve_device(args.device, args.allowed_devices.split(","))
    send(channel, _environment(device, usable=unavailable is None))
    if unavailable:
        send(channel, UnavailableRecord(reason=unavailable))
        return 0

    import pytest

    from trainer import plugin

    plugin.configure(
        plugin.Settings(
            learner_path=args.learner.resolve(),
            device=device,
            channel=channel,
            module_name=args.module_name,
        )
    )
    workdir = Path.cwd()
    ini = workdir / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")
    code = pytest.main(
        [
            str(args.checks.resolve()),
            "-c",
            str(ini),
            "--rootdir",
            str(workdir),
            "--confcutdir",
            str(args.checks.resolve().parent),
            "-p",
            "no:cacheprovider",
            "-p",
            "no:terminal",
            "-p",
            "no:stepwise",
            "-p",
            "no:faulthandler",
            "-s",
            "--assert=plain",
            "--import-mode=importlib",
        ],
        plugins=[plugin],
    )
    return int(code)


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    sys.dont_write_bytecode = True
    channel = os.fdopen(args.channel_fd, "w", encoding="utf-8")
    code = run(args, channel)
    send(channel, DoneRecord(exit_code=code))
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass
    os._exit(0)


if __name__ == "__main__":
    main()
