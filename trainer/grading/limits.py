"""Resource limits for a grading child.

Its own module because kata specs carry limits (``limits:`` in ``kata.yaml``): loading the
catalog needs this model, not the grading protocol's records.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Limits"]


class Limits(BaseModel):
    """Resource limits for one grading child; defaults are sized for the katas.

    CPU time is not here: a kata's ``timeout`` is its CPU budget (see ``trainer.grading.grader``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    memory_mb: int = Field(default=4096, ge=64)
    file_mb: int = Field(default=64, ge=1)
    processes: int = Field(default=64, ge=1)
    open_files: int = Field(default=1024, ge=16)
