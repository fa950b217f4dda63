"""The records the judge sends the grader over the result channel.

The channel is a pipe of the grader's own, held by the judge alone: the learner process never
has it, and nothing the learner prints can be mistaken for a result. One record per line,
prefixed with the run's random token; the grader also checks that records arrive in the only
order a real run produces (see ``trainer.grading.evidence``), so a stray line is evidence of a
fault, never of a pass.
"""

from __future__ import annotations

from typing import Annotated, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from trainer.grading.limits import Limits
from trainer.grading.verdict import CheckStatus

SANDBOX_SKIPS = ("namespaces", "userns", "root", "landlock", "seccomp", "cgroups")
"""Layers a run can be told to go without (``KATAS_SANDBOX_SKIP``): a platform that lacks them,
emulated for tests."""


class ArmRequest(BaseModel):
    """Prepare the next grading ahead of its request: a judge forked, and beside it a learner
    process already sandboxed in ``workdir`` and joined to ``cgroups`` (warm path only).

    A grading whose request fits (:meth:`fits`) then starts with nothing left to fork or set up.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["arm"] = "arm"
    workdir: str
    cgroups: tuple[str, ...] = ()
    cgroup_layers: dict[str, str] = Field(default_factory=dict)
    hidden: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    file_mb: int = 64

    @classmethod
    def for_request(cls, request: RunRequest) -> ArmRequest:
        """The sandbox ``request`` asks for, made for it alone (nothing armed)."""
        return cls(
            workdir=request.workdir or ".",
            cgroups=request.cgroups,
            cgroup_layers=request.cgroup_layers,
            hidden=request.hidden,
            skip=request.skip,
            file_mb=request.limits.file_mb,
        )

    def fits(self, request: RunRequest) -> bool:
        """Whether the armed sandbox is the one ``request`` would have made itself."""
        return (
            request.device == "cpu"
            and request.workdir == self.workdir
            and request.cgroups == self.cgroups
            and request.cgroup_layers == self.cgroup_layers
            and set(request.hidden) <= set(self.hidden)
            and request.skip == self.skip
            and request.limits.file_mb == self.file_mb
        )


class RunRequest(BaseModel):
    """What one grading child must run: sent as argv (cold) or over the worker socket (warm)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["run"] = "run"
    token: str
    """Random per run: every channel line carries it, so stray writes are told apart."""
    limits: Limits = Limits()
    timeout: float = 20.0
    checks: str
    hidden_checks: str | None = None
    """The kata's checks kept for instructor grading (``hidden_checks.py``), run after ``checks``
    only where the grading asks for them (``katas grade``, ``katas validate``)."""
    learner: str
    device: str = "cpu"
    allowed_devices: tuple[str, ...] = ("cpu", "cuda")
    module_name: str = "learner"
    workdir: str | None = None
    """Warm path only: the scratch directory the child moves into before running."""
    cgroups: tuple[str, ...] = ()
    """``cgroup.procs`` files of the run's cgroups, made by the grader; the child joins them."""
    cgroup_layers: dict[str, str] = Field(default_factory=dict)
    """What those cgroups enforce: ``memory``, ``processes``, ``cpu`` -> how (``cgroup v2``)."""
    hidden: tuple[str, ...] = ()
    """Folders never readable by learner code even inside the installation (a wheel's katas)."""
    skip: tuple[str, ...] = ()
    """Sandbox layers left out on purpose (see ``SANDBOX_SKIPS``)."""
    cpu: int | None = None
    """The CPU the judge and the learner process run on, where the grader chose one."""


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EnvRecord(_Record):
    kind: Literal["env"] = "env"
    python: str
    platform: str
    torch: str
    cuda: str | None = None
    gpu: str | None = None
    device: str


class UnavailableRecord(_Record):
    kind: Literal["unavailable"] = "unavailable"
    reason: str


class CheckInfo(_Record):
    id: str
    name: str


class CollectedRecord(_Record):
    kind: Literal["collected"] = "collected"
    checks: tuple[CheckInfo, ...]


class CollectErrorRecord(_Record):
    kind: Literal["collect_error"] = "collect_error"
    message: str


class SandboxRecord(_Record):
    """Which protections held in the child, sent after collection and before any learner code."""

    kind: Literal["sandbox"] = "sandbox"
    applied: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


class StartRecord(_Record):
    kind: Literal["start"] = "start"
    id: str


class ImportErrorRecord(_Record):
    """The learner's file did not import (sent once, with the first check it failed for); the
    verdict's summary says why, and each check it failed for says only :data:`NOT_IMPORTED`."""

    kind: Literal["import_error"] = "import_error"
    message: str


NOT_IMPORTED = "not run: your file did not import (see above)"
"""The message of a check that could not run because the learner's file did not import: the
reason is said once, in the verdict's summary, rather than repeated under every check."""

NOT_RUN_ENDED = "not run: the process running your code had ended (see above)"
"""The message of a check that could not run because the learner process had already ended
(the check it ended in, and the verdict's summary, say how)."""


class ResultRecord(_Record):
    kind: Literal["result"] = "result"
    id: str
    status: CheckStatus
    message: str = ""
    duration: float = 0.0


class LimitRecord(_Record):
    """The learner's code hit a resource limit; the verdict names it instead of a traceback."""

    kind: Literal["limit"] = "limit"
    message: str


class LearnerEndedRecord(_Record):
    """The learner process ended while a check talked to it; ``cpu`` when it ran out of CPU
    time (its own limit, where no cgroup counts for the whole run)."""

    kind: Literal["learner_ended"] = "learner_ended"
    reason: str
    cpu: bool = False


class DoneRecord(_Record):
    kind: Literal["done"] = "done"
    exit_code: int
    phases: dict[str, float] = Field(default_factory=dict)
    """Where the judge's time went, in seconds (and the round trips' count): for benchmarks."""


Record = Annotated[
    EnvRecord
    | UnavailableRecord
    | CollectedRecord
    | CollectErrorRecord
    | SandboxRecord
    | StartRecord
    | ImportErrorRecord
    | ResultRecord
    | LimitRecord
    | LearnerEndedRecord
    | DoneRecord,
    Field(discriminator="kind"),
]

RECORD = TypeAdapter(Record)


class Channel:
    """The child's end of the result channel."""

    def __init__(self, stream: TextIO, token: str) -> None:
        self._stream = stream
        self._token = token

    def send(self, record: _Record) -> None:
        """Write one record and flush at once, so a later crash cannot lose it."""
        self._stream.write(f"{self._token} {record.model_dump_json()}\n")
        self._stream.flush()

    def close(self) -> None:
        """End the channel: the grader sees it end (after the final record) at once."""
        self._stream.close()


def parse_lines(data: bytes, token: str) -> tuple[list[Record], int]:
    """Parse complete lines; returns the records and how many lines were not genuine records.

    Unparseable lines, and lines without this run's token, are counted rather than raised: the
    parent treats them as tampering (never as a pass), and says so.
    """
    records: list[Record] = []
    bad = 0
    prefix = token.encode() + b" "
    for line in data.splitlines():
        if not line.strip():
            continue
        if not line.startswith(prefix):
            bad += 1
            continue
        try:
            records.append(RECORD.validate_json(line[len(prefix) :]))
        except ValueError:
            bad += 1
    return records, bad


class WorkerMessage(BaseModel):
    """What the warm worker tells its parent over their socket: one message per packet.

    ``ready`` once torch and pytest are imported; ``started`` with the forked child's pid (also
    its process group); ``exited`` with its exit code once reaped; ``refused`` when a request
    could not be run at all.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["ready", "started", "exited", "refused"]
    pid: int
    returncode: int | None = None
    reason: str = ""
    cuda_initialized: bool = False
    """With ``ready``: whether warming up initialised CUDA, which forked children cannot use."""


WORKER_COMMAND: TypeAdapter[ArmRequest | RunRequest] = TypeAdapter(
    Annotated[ArmRequest | RunRequest, Field(discriminator="kind")]
)
"""What the grader sends a warm worker: arm the next grading, or run one."""
