"""Wall time of ``katas validate`` over the built-in catalog: cold path against warm workers.

Both runs use the same pool width (one grading per core) in this one process, cold first.

    python benchmarks/validate_wall.py [PACK]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from trainer.kata.catalog import Catalog, builtin_pack
from trainer.kata.validate import validate


def main() -> int:
    pack = Path(sys.argv[1]) if len(sys.argv) > 1 else builtin_pack()
    katas = list(Catalog.load([pack]))
    trials = sum(2 + len(k.wrong_variants) for k in katas)
    print(f"{len(katas)} katas, {trials} gradings, {os.cpu_count()} cores")
    results = {}
    for label, warm in (("cold", False), ("warm", True)):
        start = time.perf_counter()
        reports = validate(katas, warm=warm)
        results[label] = time.perf_counter() - start
        broken = [r.kata.id for r in reports if not r.ok]
        print(f"{label}: {results[label]:.1f} s wall, broken: {broken or 'none'}")
    print(f"warm/cold wall-time ratio: {results['warm'] / results['cold']:.3f} (target <= 0.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
