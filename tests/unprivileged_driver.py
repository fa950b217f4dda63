"""Grade staged attacks as whichever user runs this; one JSON line per grading on stdout.

``tests/test_unprivileged.py`` runs it through ``setpriv`` as a normal user: a cold grading
and a warm worker's, each attack on its own stage, some with a layer left out
(``KATAS_SANDBOX_SKIP``) to stand for a platform without it.

    python -m tests.unprivileged_driver PLAN.json
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from pydantic import BaseModel

from trainer.grading.grader import Grader, grade
from trainer.kata.loader import load_kata


class Job(BaseModel):
    key: str
    answer: str
    scratch: str
    warm: bool
    skip: str = ""


class Plan(BaseModel):
    kata: str
    pack: str
    jobs: list[Job]


def main() -> None:
    plan = Plan.model_validate_json(Path(sys.argv[1]).read_text(encoding="utf-8"))
    kata = load_kata(Path(plan.kata), Path(plan.pack))
    print(json.dumps({"pid": os.getpid(), "uid": os.getuid()}), flush=True)
    import tempfile

    with Grader(1) as warm:
        warm.wait_ready()
        for job in plan.jobs:
            os.environ["KATAS_SANDBOX_SKIP"] = job.skip
            tempfile.tempdir = job.scratch
            start = time.monotonic()
            verdict = (
                warm.grade(kata, Path(job.answer)) if job.warm else grade(kata, Path(job.answer))
            )
            line = {
                "key": job.key,
                "status": verdict.status.value,
                "summary": verdict.summary,
                "elapsed": time.monotonic() - start,
                "sandbox": verdict.environment.sandbox,
                "missing": verdict.environment.sandbox_missing,
                "messages": [c.message for c in verdict.checks],
            }
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
