"""The records a grading child sends its parent over the result channel.

The channel is a pipe of the grader's own, separate from the child's stdout, so nothing the
learner prints can be mistaken for a result. One JSON object per line.
"""

from __future__ import annotations

from typing import Annotated, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from trainer.verdict import CheckStatus


class RunRequest(BaseModel):
    """What one grading child must run: sent as argv (cold) or over the worker socket (warm)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    checks: str
    learner: str
    device: str = "cpu"
    allowed_devices: tuple[str, ...] = ("cpu", "cuda")
    module_name: str = "learner"
    workdir: str | None = None
    """Warm path only: the scratch directory the child moves into before running."""


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


class StartRecord(_Record):
    kind: Literal["start"] = "start"
    id: str


class ImportErrorRecord(_Record):
    kind: Literal["import_error"] = "import_error"
    message: str


class ResultRecord(_Record):
    kind: Literal["result"] = "result"
    id: str
    status: CheckStatus
    message: str = ""
    duration: float = 0.0


class DoneRecord(_Record):
    kind: Literal["done"] = "done"
    exit_code: int


Record = Annotated[
    EnvRecord
    | UnavailableRecord
    | CollectedRecord
    | CollectErrorRecord
    | StartRecord
    | ImportErrorRecord
    | ResultRecord
    | DoneRecord,
    Field(discriminator="kind"),
]

RECORD = TypeAdapter(Record)


def send(channel: TextIO, record: _Record) -> None:
    """Write one record and flush at once, so a later crash cannot lose it."""
    channel.write(record.model_dump_json() + "\n")
    channel.flush()


def parse_lines(data: bytes) -> tuple[list[Record], int]:
    """Parse complete lines; returns the records and how many lines were not records.

    Unparseable lines are counted rather than raised: the parent treats a garbled channel as
    missing evidence (never as a pass), and says so.
    """
    records: list[Record] = []
    bad = 0
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            records.append(RECORD.validate_json(line))
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
