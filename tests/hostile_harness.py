"""The stage the hostile corpus (tests/hostile/) is graded on, and what "contained" means.

Shared by ``test_hostile.py`` (cold and warm path, each platform), ``test_hostile_batch.py``
(``katas grade``) and ``test_unprivileged.py`` (all three as a normal user). An attack is staged
in a folder of its own: its learner file, a canary file it tries to overwrite, a classmate's
answer in the scratch tree the grader's work folders go to, a marker that names its processes
and its SysV IPC key, and a loopback server it tries to reach. :meth:`Stage.check` then proves
the grading left nothing behind: no process, no cgroup, no IPC object, no connection, no change
to any file or attribute outside its scratch, the host name unchanged.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import socket
import struct
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tests.kata_factory import make_kata, make_pack
from trainer.grading import cgroups
from trainer.grading.grader import WALL_FACTOR
from trainer.grading.verdict import Status
from trainer.kata.loader import load_kata
from trainer.kata.model import Kata

CORPUS = Path(__file__).resolve().parent / "hostile"
ATTACKS = sorted(p.stem for p in CORPUS.glob("*.py"))
TIMEOUT = 8.0
MEMORY_MB = 1024
"""Lower than the default 4096 MB so the memory bombs hit it fast on a loaded machine."""

CHECKS = '''
import torch

from trainer.checks import assert_close


def test_doubles(learner, device):
    """doubles a tensor"""
    torch.manual_seed(0)
    x = torch.randn(3, 5, device=device)
    assert_close(learner.double(x), 2 * x, what="double(x)", inputs="x of shape (3, 5)")


def test_doubles_a_column(learner, device):
    """doubles a column vector"""
    torch.manual_seed(1)
    x = torch.randn(4, 1, dtype=torch.float64, device=device)
    assert_close(learner.double(x), 2 * x, what="double(x)", inputs="x of shape (4, 1)")
'''

SOLUTION = "def double(x):\n    return 2 * x\n"
CLASSMATE = "# a classmate's answer\n" + SOLUTION

EXPECTED: dict[str, set[Status]] = {
    "exit_zero_at_import": {Status.ERROR},
    "os_exit_at_import": {Status.CRASHED},
    "os_exit_in_check": {Status.CRASHED},
    "atexit_trick": {Status.FAILED},
    "patch_checks_api": {Status.FAILED},
    "patch_torch_compare": {Status.FAILED},
    "patch_pytest_runtest": {Status.FAILED},
    "patch_plugin_reporting": {Status.FAILED},
    "forge_channel_all_fds": {Status.ERROR, Status.CRASHED},
    "forge_channel_in_order": {Status.ERROR, Status.CRASHED},
    "tensor_subclass": {Status.FAILED},
    "fake_equal_object": {Status.FAILED},
    "edit_the_checks": {Status.FAILED},
    "fork_bomb": {Status.TIMEOUT},
    "infinite_recursion": {Status.FAILED},
    "deep_c_recursion": {Status.CRASHED, Status.ERROR, Status.TIMEOUT},
    "stdout_flood": {Status.FAILED},
    "signal_the_parent": {Status.FAILED, Status.CRASHED},
    "threads_left_running": {Status.FAILED},
    "huge_tensor": {Status.ERROR},
    "memory_bomb": {Status.ERROR},
    "read_checks_echo": {Status.FAILED, Status.ERROR},
    "network_exfiltration": {Status.FAILED},
    "escape_the_group": {Status.TIMEOUT},
    "close_all_fds": {Status.CRASHED},
    "huge_file": {Status.ERROR},
    "keyboard_interrupt": {Status.ERROR},
    "sleep_forever": {Status.TIMEOUT},
    "exec_the_solution": {Status.FAILED},
    "read_classmates": {Status.FAILED},
    "inject_terminal_input": {Status.FAILED},
    "outlive_with_setsid": {Status.FAILED},
    "change_attributes": {Status.FAILED},
    "leave_host_state": {Status.FAILED},
    "shared_memory_forks": {Status.FAILED, Status.ERROR, Status.CRASHED},
    # forging the verdict: with the checks in the judge, each is just a wrong answer
    "forge_records_then_exit": {Status.FAILED},
    "prefill_outcomes": {Status.FAILED},
    "replace_check_code": {Status.FAILED},
    "guard_off_then_noop": {Status.FAILED},
    "forge_server_answers": {Status.FAILED, Status.ERROR, Status.CRASHED},
    "reduce_runs_code": {Status.FAILED},
    "recursive_and_huge": {Status.FAILED},
    "huge_exception": {Status.FAILED},
    "never_answers": {Status.TIMEOUT},
    "garbled_answers": {Status.CRASHED, Status.ERROR},
    "read_judge_memory": {Status.FAILED},
    "proxy_chains": {Status.FAILED},
}

MESSAGES = {
    "huge_tensor": f"exceeded the memory limit of {MEMORY_MB} MB",
    "memory_bomb": f"exceeded the memory limit of {MEMORY_MB} MB",
    "huge_file": "wrote a file larger than the limit of 64 MB",
    "tensor_subclass": "expected a plain torch.Tensor",
    "reduce_runs_code": "is a list, expected a plain torch.Tensor",
    "garbled_answers": "not an answer",
}
"""What the verdict must say, where the attack has a message of its own."""

SANDBOX_ATTACKS = (
    "exec_the_solution",
    "read_classmates",
    "read_checks_echo",
    "inject_terminal_input",
    "outlive_with_setsid",
    "escape_the_group",
    "change_attributes",
    "leave_host_state",
    "shared_memory_forks",
    "edit_the_checks",
    "network_exfiltration",
)
"""The attacks on the sandbox itself: run again on each platform, through ``katas grade`` and
as a normal user."""

FORGING_ATTACKS = (
    "forge_records_then_exit",
    "prefill_outcomes",
    "replace_check_code",
    "guard_off_then_noop",
    "patch_torch_compare",
    "forge_server_answers",
    "reduce_runs_code",
    "recursive_and_huge",
    "huge_exception",
    "garbled_answers",
    "read_judge_memory",
    "never_answers",
    "proxy_chains",
)
"""The attacks on the verdict itself (the judge and its channel): through ``katas grade`` too."""

PLATFORMS = {
    "no-namespaces": "namespaces,cgroups",
    "no-landlock": "landlock",
    "no-seccomp": "seccomp",
    "no-user-namespace": "userns",
}
"""A platform without a layer, emulated: what KATAS_SANDBOX_SKIP leaves out."""

SLEEPERS = {"sleep_forever", "never_answers"}
"""Attacks that use no CPU, so only the wall-clock backstop ends them."""

TO_THE_LIMIT = {
    "sleep_forever",
    "never_answers",
    "escape_the_group",
    "deep_c_recursion",
    "fork_bomb",
}
"""Attacks that only a limit ends: graded against :data:`SHORT_TIMEOUT` to keep the suite quick
(the sleepers' wall-clock backstop is four times it)."""

SHORT_TIMEOUT = 2.0

SLEEPER_TIMEOUT = 1.0
"""The sleepers' budget in ``tests/test_hostile.py``: only the wall-clock backstop (four times
it) ends them, and whether it fires during start-up or the sleep, the verdict is a timeout."""


def make_double_kata(pack: Path, timeout: float = TIMEOUT) -> Kata:
    root = make_kata(
        pack,
        "double-it",
        checks=CHECKS,
        solution=SOLUTION,
        timeout=timeout,
        limits={"memory_mb": MEMORY_MB},
    )
    return load_kata(root, pack)


def give(folder: Path, owner: int) -> None:
    """``chown -R owner:owner folder`` (or of one file)."""
    for path in [folder, *(folder.rglob("*") if folder.is_dir() else ())]:
        os.chown(path, owner, owner, follow_symlinks=False)


def marker_key(marker: str) -> int:
    """The attack's SysV IPC key, derived from its marker."""
    return int(marker.replace(".", "")) % 2**30 + 1


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def attributes(paths: list[Path]) -> dict[str, tuple[object, ...]]:
    """Mode, owner, times, extended attributes and inode flags of each path.

    A folder's time is only "not reset to the epoch": the grader's own work folders come and go
    in some of them.
    """
    seen: dict[str, tuple[object, ...]] = {}
    for path in paths:
        info = path.stat()
        mtime: object = info.st_mtime_ns > 10**18 if path.is_dir() else info.st_mtime_ns
        flags = b""
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDONLY)
            try:
                flags = fcntl.ioctl(fd, 0x80086601, struct.pack("l", 0))  # FS_IOC_GETFLAGS
            finally:
                os.close(fd)
        xattrs: list[str] = []
        with contextlib.suppress(OSError):
            xattrs = os.listxattr(path)
        seen[str(path)] = (info.st_mode, info.st_uid, info.st_gid, mtime, flags, xattrs)
    return seen


def ipc_keys() -> set[int]:
    keys = set()
    for kind in ("shm", "msg", "sem"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]:
                keys.add(int(line.split()[0]))
    return keys


def graders_cgroups(pid: int | None = None) -> list[Path]:
    """Cgroups a grader with this pid (default: this process) made and did not remove."""
    mine = f"{cgroups.PREFIX}{os.getpid() if pid is None else pid}-"
    return [p for h in cgroups.hierarchies() for p in h.folder.glob(f"{mine}*")]


def stray_processes(marker: str, scratch: Path, armed: frozenset[str] = frozenset()) -> list[str]:
    """Processes a grading left behind: anything still running with the attack's marker, or
    in the scratch tree the grader's work folders are made in (but for the next grading's,
    armed in its own ``armed`` folder: a warm grader's judge and learner process waiting)."""
    time.sleep(0.3)
    stray = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = str((entry / "cwd").readlink()) if state not in "ZX" else ""
        except OSError:
            continue
        if state in "ZX":
            continue
        if any(cwd == a or cwd.startswith(a + "/") for a in armed):
            continue
        if marker in cmdline or cwd.startswith(str(scratch)):
            stray.append(f"{entry.name}: {cmdline.strip()} (cwd {cwd})")
    return stray


@dataclass
class Stage:
    """One attack staged under ``root``: ``answer`` is the learner's file to grade."""

    name: str
    root: Path
    kata: Kata
    answer: Path
    canary: Path
    scratch: Path
    """Where the grader's work folders go (``tempfile.tempdir``): a batch's shared tree."""
    marker: str
    server: socket.socket
    watched: list[Path] = field(default_factory=list)
    """Folders outside the scratch whose every file's attributes must stay as they were."""
    _before: dict[str, object] = field(default_factory=dict)

    @classmethod
    def make(
        cls,
        name: str,
        root: Path,
        kata: Kata,
        watched: tuple[Path, ...] = (),
        source: str | None = None,
        scratch: Path | None = None,
        owner: int | None = None,
    ) -> Stage:
        """Stage the corpus file ``name`` (or ``source``, an attack written in the test);
        ``scratch`` is a tree shared with other stages (a batch's), else one of its own.
        ``owner`` gets every staged file, so that only the sandbox stands between that user's
        attack and them."""
        root.mkdir(parents=True, exist_ok=True)
        scratch = scratch or root / "scratch"
        classmate = scratch / "classmate" / "answer.py"
        if not classmate.exists():
            classmate.parent.mkdir(parents=True)
            classmate.write_text(CLASSMATE, encoding="utf-8")
        canary = root / "canary.txt"
        canary.write_text("untouched", encoding="utf-8")
        marker = f"{time.monotonic_ns() % 10**9}.5"
        server = socket.create_server(("127.0.0.1", 0))
        server.setblocking(False)
        if source is None:
            source = (CORPUS / f"{name}.py").read_text(encoding="utf-8")
        for placeholder, value in (
            ("__CANARY__", str(canary)),
            ("__MARKER_INT__", str(marker_key(marker))),
            ("__MARKER__", marker),
            ("__PORT__", str(server.getsockname()[1])),
        ):
            source = source.replace(placeholder, value)
        answer = root / "answer.py"
        answer.write_text(source, encoding="utf-8")
        stage = cls(name, root, kata, answer, canary, scratch, marker, server, [*watched])
        if owner is not None:
            for path in (root, scratch, *watched):
                give(path, owner)
        stage._before = stage._observe()
        return stage

    def _observe(self) -> dict[str, object]:
        folders = [self.kata.root, self.scratch, *self.watched]
        files = [self.root, self.canary, self.answer]
        files += [p for folder in folders for p in [folder, *sorted(folder.rglob("*"))]]
        return {
            "kata files": fingerprint(self.kata.root),
            "classmate": (self.scratch / "classmate" / "answer.py").read_text(encoding="utf-8"),
            "canary": self.canary.read_text(encoding="utf-8"),
            "attributes": attributes([p for p in files if p.exists()]),
            "host name": socket.gethostname(),
        }

    def check(
        self,
        status: Status,
        summary: str,
        elapsed: float,
        grader_pid: int | None = None,
        messages: tuple[str, ...] = (),
        armed: frozenset[str] = frozenset(),
    ) -> None:
        """Assert the verdict (its summary and checks' ``messages``) and that the grading
        changed nothing it may not change (``armed``: a warm grader's next grading's folders)."""
        name = self.name
        try:
            assert status is not Status.PASSED, f"{name} passed: {summary}"
            assert status in EXPECTED.get(name, set(Status)), f"{name}: {status.value}: {summary}"
            if name in MESSAGES:
                said = "\n".join((summary, *messages))
                assert MESSAGES[name] in said, said
            # never a hang: the wall-clock backstop is the bound no grading may pass. (The CPU
            # budget ends a spinning attack sooner in CPU seconds, but a machine busy with other
            # tests, parallel test workers among them, stretches those in wall time.)
            bound = self.kata.spec.timeout * WALL_FACTOR
            assert elapsed < bound + 3, f"{name} took {elapsed:.1f} s"
            assert stray_processes(self.marker, self.scratch, armed) == []
            after = self._observe()
            after["attributes"] = {  # the grader's own work folders come and go
                k: v
                for k, v in after["attributes"].items()  # type: ignore[attr-defined]
                if k in self._before["attributes"]  # type: ignore[operator]
            }
            for what, value in self._before.items():
                assert after[what] == value, f"{name} changed the {what}"
            assert marker_key(self.marker) not in ipc_keys(), f"{name} left a SysV IPC object"
            left = [g for g in graders_cgroups(grader_pid) if str(g) not in armed]
            assert left == [], f"{name} left a cgroup behind"
            with contextlib.suppress(BlockingIOError):
                peer, _ = self.server.accept()
                peer.close()
                raise AssertionError(f"{name} reached a server on loopback")
        finally:
            self.server.close()


@dataclass(frozen=True)
class HostileClass:
    """An assignment of the one hostile kata, and one archive per staged attack (plus honest
    classmates), ready for ``katas grade ASSIGNMENT SUBMISSIONS --out OUT``."""

    assignment: Path
    submissions: Path
    out: Path
    stages: dict[str, Stage]
    honest: tuple[str, ...]


def make_hostile_class(
    root: Path, attacks: tuple[str, ...], timeout: float = TIMEOUT, owner: int | None = None
) -> HostileClass:
    """Stage ``attacks`` under ``root`` for a batch, whose ``TMPDIR`` is ``root/scratch``."""
    from trainer.coursework.submission import Manifest, ManifestFile, archive_bytes

    pack = make_pack(root / "pack", topics=["tensors"])
    kata = make_double_kata(pack, timeout)
    out = root / "out"
    out.mkdir()
    scratch = root / "scratch"
    if owner is not None:
        give(pack, owner)
    stages = {
        name: Stage.make(
            name, root / "stages" / name, kata, watched=(out,), scratch=scratch, owner=owner
        )
        for name in attacks
    }
    assignment = root / "assignment.yaml"
    assignment.write_text(
        "schema: 1\nid: hostile\ntitle: Hostile\npacks: [pack]\nkatas: ['tensors/*']\n",
        encoding="utf-8",
    )
    submissions = root / "submissions"
    submissions.mkdir()
    honest = ("honest-a", "honest-b")
    sources = {f"attack-{n}": s.answer.read_bytes() for n, s in stages.items()}
    sources |= {name: SOLUTION.encode() for name in honest}
    member = f"files/{kata.id}/{kata.spec.file}"
    for learner, data in sources.items():
        manifest = Manifest(
            learner=learner,
            assignment_id="hostile",
            assignment_title="Hostile",
            created_at=datetime(2026, 1, 5, tzinfo=timezone.utc),
            trainer_version="0",
            python="3",
            files={kata.id: ManifestFile(path=member, sha256=hashlib.sha256(data).hexdigest())},
        )
        (submissions / f"{learner}.zip").write_bytes(archive_bytes(manifest, {member: data}))
    if owner is not None:
        give(submissions, owner)
        give(root / "assignment.yaml", owner)
    return HostileClass(assignment, submissions, out, stages, honest)


def check_batch(group: HostileClass, grader_pid: int | None = None) -> None:
    """Every attack scored 0 and was contained; the honest classmates passed."""
    from trainer.batch.publish import load_results

    results = load_results(group.out)
    rows = {row.learner: row for row in results.learners}
    for name in group.honest:
        (kata,) = rows[name].katas
        assert kata.status.value == "passed", (name, kata.summary)
    for name, stage in group.stages.items():
        (kata,) = rows[f"attack-{name}"].katas
        assert kata.points == 0, (name, kata.summary)
        messages = tuple(c.message for c in kata.verdict.checks) if kata.verdict else ()
        stage.check(Status(kata.status.value), kata.summary, 0.0, grader_pid, messages)
