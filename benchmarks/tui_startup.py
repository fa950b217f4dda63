"""TUI start-up: command start to the first full frame on a terminal, against a Textual hello world.

Both run as a learner runs them: a fresh process on a pseudo-terminal of 80x24 (so imports,
the terminal driver and the drawing all count). The trainer is the real ``katas`` command on a
fresh workspace with the built-in catalog; its frame is full when the terminal shows the open
kata's id in the tree, its title, the check list's border and the key bar. The hello world's is
full when it shows its one line. Timing runs from spawning the process to reading that frame
back from the terminal. The first run of each warms the file cache, the bytecode and the pack
cache; runs then alternate, and medians are compared.

Wall time is the figure that counts (target: at most 2x the hello world); the CPU time each
process used until its frame is printed beside it, because it is steadier on a busy machine.

    python benchmarks/tui_startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

HELLO = """
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("Hello, world")

Hello().run()
"""

_ESCAPES = re.compile(
    rb"\x1b\[[0-9;?<>=$ ]*[A-Za-z~]|\x1b[()][A-Za-z0-9]|\x1b[=>]|\x1b\][^\x07]*\x07"
)


def first_frame(command: list[str], markers: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds until every marker is on the terminal, and the CPU seconds the process used."""
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, stdin=terminal, stdout=terminal, stderr=terminal, env=env, start_new_session=True
    )
    os.close(terminal)
    seen = b""
    wanted = [marker.encode() for marker in markers]
    try:
        while True:
            ready, _, _ = select.select([controller], [], [], 60)
            if not ready:
                raise SystemExit(f"no full frame within 60 s: {_ESCAPES.sub(b'', seen)[-400:]!r}")
            try:
                seen += os.read(controller, 1 << 16)
            except OSError as exc:
                raise SystemExit(f"the process ended before its first frame: {exc}") from None
            text = _ESCAPES.sub(b"", seen)
            if all(marker in text for marker in wanted):
                elapsed = time.perf_counter() - start
                break
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = -signal.SIGKILL
        os.close(controller)
    return elapsed, usage.ru_utime + usage.ru_stime


def trainer_markers(env: dict[str, str]) -> list[str]:
    """What the trainer's first frame shows on a fresh workspace: the kata it opens."""
    code = (
        "from trainer.kata.catalog import Catalog\n"
        "kata = Catalog.default().next_kata(set(), runnable=lambda _kata: True)\n"
        "print(kata.id); print(kata.title[:24])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    kata_id, title = out.stdout.splitlines()[:2]
    return [kata_id, title, "checks", "hint"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="katas-bench-") as home:
        env = {
            **os.environ,
            "HOME": home,
            "KATAS_WORKSPACE": str(Path(home) / "ws"),
            "TERM": "xterm-256color",
        }
        for name in ("KATAS_PATH", "KATAS_NO_CACHE", "KATAS_CACHE_DIR", "XDG_CACHE_HOME"):
            env.pop(name, None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # a learner's install has its bytecode
        katas = [sys.executable, "-m", "trainer"]
        hello = [sys.executable, "-c", HELLO]
        markers = trainer_markers(env)
        first_frame(katas, markers, env)  # creates the workspace, fills the caches
        first_frame(hello, ["Hello, world"], env)
        runs: dict[str, list[tuple[float, float]]] = {"hello": [], "katas": []}
        for _ in range(args.runs):
            runs["hello"].append(first_frame(hello, ["Hello, world"], env))
            runs["katas"].append(first_frame(katas, markers, env))
    wall = {name: statistics.median(w for w, _ in results) for name, results in runs.items()}
    cpu = {name: statistics.median(c for _, c in results) for name, results in runs.items()}
    print(f"first full frame at 80x24, median of {args.runs} runs each (wall · CPU):")
    for name, label in (("hello", "textual hello world"), ("katas", "katas, built-in catalog")):
        print(f"  {label:24s} {wall[name] * 1000:6.0f} ms · {cpu[name] * 1000:4.0f} ms")
    ratio, cpu_ratio = wall["katas"] / wall["hello"], cpu["katas"] / cpu["hello"]
    print(f"ratio: {ratio:.2f}x wall (target <= 2x), {cpu_ratio:.2f}x CPU")


if __name__ == "__main__":
    main()
