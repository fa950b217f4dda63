"""``python -m trainer.grading.learner.probe``: which sandbox layers hold here, without grading.

``katas grade`` asks before it grades anything, so that a platform without read isolation is
refused up front rather than discovered in the first verdict. The probe takes exactly the steps
a grading child takes (namespaces, trusted init, private root, Landlock, limits, capabilities,
seccomp) in the scratch folder it is started in (the caller's, who removes it), then prints what
held as JSON. No torch, no pytest.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import NoReturn

from trainer.grading.learner import sandbox
from trainer.grading.limits import Limits
from trainer.grading.protocol import SANDBOX_SKIPS, ArmRequest


def main(argv: list[str] | None = None) -> NoReturn:
    args = sys.argv[1:] if argv is None else argv
    skip = tuple(name for name in args if name in SANDBOX_SKIPS)
    spec = ArmRequest(workdir=str(Path.cwd()), skip=skip)
    entered, joined = sandbox.enter(spec)
    box = sandbox.contain(Path.cwd(), spec, "cpu", entered)
    sandbox.apply_limits(Limits(), 5.0, spec.cgroup_layers, joined, box)
    report = {
        "applied": [*entered.applied, *box.applied],
        "missing": [*entered.missing, *box.missing],
    }
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
