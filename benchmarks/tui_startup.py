"""TUI start-up: process start to the first full frame, against a bare Textual hello world.

Each app runs in a fresh Python process (headless, 80x24), so imports count. The trainer's
frame is full when the main screen has the catalog in its tree, the open kata's task and its
check list laid out; the hello world's when its one Static is on screen. The parent times from
spawning the child to reading the line the child writes at that frame (the trainer's grader
warm-up, started in the background after the first frame, is not waited for). Runs alternate;
the medians and their ratio are printed (target: at most 2x).

    python benchmarks/tui_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELLO = """
import os, sys
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("Hello, world")
    def on_mount(self):
        self.call_after_refresh(self.first_frame)
    def first_frame(self):
        sys.stdout.write("frame\\n"); sys.stdout.flush()
        os._exit(0)

Hello().run(headless=True, size=(80, 24))
"""

TRAINER = """
import os, sys
from trainer.catalog import Catalog
from trainer.tui.app import KatasApp
from trainer.tui.screens.main import MainScreen
from trainer.workspace import Workspace

class Timed(KatasApp):
    def on_mount(self):
        super().on_mount()
        self.call_after_refresh(self.first_frame)
    def first_frame(self):
        screen = self.screen
        if not isinstance(screen, MainScreen) or screen.kata is None:
            self.call_after_refresh(self.first_frame)
            return
        sys.stdout.write("frame\\n"); sys.stdout.flush()
        self.grader.close()
        os._exit(0)

workspace, _ = Workspace.locate()
Timed(Catalog.default(), workspace, watch_files=True).run(headless=True, size=(80, 24))
"""


def first_frame(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait(timeout=60)
    if line.strip() != "frame":
        raise SystemExit(f"no first frame (exit code {proc.returncode})")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="katas-bench-") as home:
        env = {**os.environ, "HOME": home, "KATAS_WORKSPACE": str(Path(home) / "ws")}
        env.pop("KATAS_PATH", None)
        first_frame(TRAINER, env)  # creates the workspace, warms the OS file cache
        first_frame(HELLO, env)
        hello: list[float] = []
        trainer: list[float] = []
        for _ in range(args.runs):
            hello.append(first_frame(HELLO, env))
            trainer.append(first_frame(TRAINER, env))
    h, t = statistics.median(hello), statistics.median(trainer)
    print(f"hello world (textual) first frame: median {h * 1000:.0f} ms over {args.runs} runs")
    print(f"katas TUI, catalog loaded:        median {t * 1000:.0f} ms over {args.runs} runs")
    print(f"ratio: {t / h:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
