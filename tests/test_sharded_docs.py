"""``docs/sharded-grading.md``, run here: each example's own ``katas grade`` lines, shard by shard.

The three examples (GitHub Actions, Slurm, Kubernetes) are read from ``docs/examples/``: YAML as
data, shell as text. Their ``katas grade`` command lines are expanded by bash with what the
platform would set (the matrix value, ``$SLURM_ARRAY_TASK_ID``, ``$JOB_COMPLETION_INDEX``, ...)
and run through ``katas``'s own entry point against a small class, in folders laid out as the
examples expect. Each example's merge must equal one unsharded run of the README's command.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kata_factory import SOLUTION, make_kata, make_pack
from trainer.batch.model import BatchResults
from trainer.batch.publish import GRADEBOOK, load_results
from trainer.cli.app import main
from trainer.coursework.submission import Manifest, ManifestFile, archive_bytes

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "sharded-grading.md"
EXAMPLES = ROOT / "docs" / "examples"
GITHUB = EXAMPLES / "github-actions-grade.yml"
SLURM_GRADE = EXAMPLES / "slurm-grade.sh"
SLURM_MERGE = EXAMPLES / "slurm-merge.sh"
K8S = EXAMPLES / "k8s-grade-job.yaml"

SHARDS = 2
"""The N of every example: small, so this whole module grades in seconds."""
INSTALL = 'pip install torch==2.13.0 && pip install -e ".[dev]"'
"""README's set-up, which every example installs with."""
UNSHARDED = ["grade", "week-3/assignment.yaml", "submissions/", "--out", "graded/"]
"""README's batch command, run in one go: what every merge must equal."""

WRONG = '"""Return the input doubled."""\n\n\ndef double(x):\n    return x + 1\n'
LEARNERS: dict[str, str | None] = {
    "Ada Lovelace": SOLUTION,
    "Alan Turing": WRONG,
    "Grace Hopper": SOLUTION,
    "Edsger Dijkstra": None,  # hands in no file for the kata
}
EXPECTED = {"Ada Lovelace": 1.0, "Alan Turing": 0.0, "Grace Hopper": 1.0, "Edsger Dijkstra": 0.0}


# --- the class and running katas ------------------------------------------------------------


def make_course(root: Path) -> Path:
    """A checkout as the examples see it: ``week-3/`` (assignment and pack), ``submissions/``."""
    pack = make_pack(root / "week-3" / "pack", topics=["tensors"])
    make_kata(pack, "double-it", timeout=10)
    spec = {"schema": 1, "id": "week-3", "title": "Week 3", "packs": ["pack"], "katas": ["*"]}
    (root / "week-3" / "assignment.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    submissions = root / "submissions"
    submissions.mkdir()
    for name, code in LEARNERS.items():
        members: dict[str, bytes] = {}
        files: dict[str, ManifestFile] = {}
        if code is not None:
            member = "files/double-it/answer.py"
            members[member] = code.encode()
            digest = hashlib.sha256(members[member]).hexdigest()
            files["double-it"] = ManifestFile(path=member, sha256=digest)
        manifest = Manifest(
            learner=name,
            assignment_id="week-3",
            assignment_title="Week 3",
            created_at=datetime(2025, 3, 1, tzinfo=timezone.utc),
            trainer_version="0.1.0",
            python="3.11",
            files=files,
        )
        archive = submissions / f"{name.replace(' ', '-')}.week-3.katas.zip"
        archive.write_bytes(archive_bytes(manifest, members))
    return root


@contextmanager
def working_in(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def katas(argv: list[str], cwd: Path) -> None:
    """``katas ARGV`` in ``cwd``, through the command's own entry point."""
    with working_in(cwd):
        code = main(argv)
    assert code == 0, f"katas {' '.join(argv)} exited {code}"


def katas_lines(script: str) -> list[str]:
    """The ``katas`` command lines of a shell script, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", script)
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("katas ")]


def expand(line: str, cwd: Path, env: Mapping[str, str]) -> list[str]:
    """What bash passes to ``katas`` for ``line`` in ``cwd``: variables, arithmetic, quotes and
    globs expanded; an unset variable is an error (``-u``), as in the examples."""
    assert line.startswith("katas "), line
    done = subprocess.run(
        ["bash", "-euc", "printf '%s\\0' " + line.removeprefix("katas ")],
        cwd=cwd,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split("\0")[:-1]


@dataclass
class Ran:
    """What an example's ``katas`` lines did: the shards graded and the merged folder."""

    shards: list[str]
    merged: list[Path]


def run_script(script: str, cwd: Path, env: Mapping[str, str], ran: Ran) -> None:
    lines = katas_lines(script)
    assert lines, f"no katas command in:\n{script}"
    for line in lines:
        argv = expand(line, cwd, env)
        assert argv[0] == "grade", line
        katas(argv, cwd)
        out = cwd / argv[argv.index("--out") + 1]
        if "--merge" in argv:
            ran.merged.append(out)
        else:
            ran.shards.append(argv[argv.index("--shard") + 1])
            assert load_results(out).learners, f"shard {ran.shards[-1]} graded nobody"


def comparable(results: BatchResults) -> dict[str, Any]:
    """Everything but timings and the sandbox's wording: who, what, status, points, messages."""
    return {
        "assignment": results.assignment,
        "device": results.device,
        "shard": results.shard,
        "roster": results.roster,
        "read_isolated": results.isolation.read_isolated if results.isolation else None,
        "rows": [
            (
                row.learner,
                row.archive,
                row.archive_sha256,
                row.feedback,
                row.problems,
                k.kata_id,
                k.status,
                k.points,
                k.summary,
                k.file_sha256,
                tuple((c.name, c.status, c.message) for c in k.verdict.checks) if k.verdict else (),
            )
            for row in results.learners
            for k in row.katas
        ],
    }


def assert_same_batch(merged: Path, full: Path) -> None:
    assert (merged / GRADEBOOK).read_bytes() == (full / GRADEBOOK).read_bytes()
    assert comparable(load_results(merged)) == comparable(load_results(full))
    notes = sorted(p.name for p in (full / "feedback").iterdir())
    assert sorted(p.name for p in (merged / "feedback").iterdir()) == notes
    for name in notes:
        assert (merged / "feedback" / name).read_bytes() == (full / "feedback" / name).read_bytes()


def assert_ran_every_shard(ran: Ran) -> None:
    assert sorted(ran.shards) == [f"{k}/{SHARDS}" for k in range(1, SHARDS + 1)]
    assert len(ran.merged) == 1, "the example must end in one merge"


@pytest.fixture(scope="module")
def unsharded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """README's ``katas grade`` of the whole class on one machine: the batch folder."""
    course = make_course(tmp_path_factory.mktemp("one-machine"))
    with pytest.MonkeyPatch.context() as env:  # as conftest's isolated_home, for this module
        env.setenv("HOME", str(tmp_path_factory.mktemp("home")))
        for name in ("KATAS_WORKSPACE", "KATAS_PATH", "XDG_CACHE_HOME", "KATAS_CACHE_DIR"):
            env.delenv(name, raising=False)
        env.delenv("KATAS_NO_CACHE", raising=False)
        katas(UNSHARDED, course)
    out = course / UNSHARDED[UNSHARDED.index("--out") + 1]
    rows = {row.learner: row.total for row in load_results(out).learners}
    assert rows == EXPECTED
    return out


# --- the page and the files -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("example", "lang"),
    [(GITHUB, "yaml"), (SLURM_GRADE, "bash"), (SLURM_MERGE, "bash"), (K8S, "yaml")],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_the_page_links_each_example_and_shows_it_as_it_is(example: Path, lang: str) -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert f"(examples/{example.name})" in page
    assert f"```{lang}\n{example.read_text(encoding='utf-8')}```\n" in page


def test_every_example_installs_as_the_readme_does() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert INSTALL in readme
    assert "(docs/sharded-grading.md)" in readme
    for example in (GITHUB, SLURM_GRADE, K8S):
        assert INSTALL in example.read_text(encoding="utf-8"), example.name


def test_every_example_splits_the_class_into_the_same_n_shards() -> None:
    workflow = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    assert workflow["jobs"]["grade"]["strategy"]["matrix"] == {"shard": list(range(1, SHARDS + 1))}
    arrays = re.findall(r"^#SBATCH --array=(\d+)-(\d+)$", SLURM_GRADE.read_text(), re.MULTILINE)
    assert arrays == [("1", str(SHARDS))]
    grade_job, _ = yaml.safe_load_all(K8S.read_text(encoding="utf-8"))
    assert grade_job["spec"]["completionMode"] == "Indexed"
    assert grade_job["spec"]["completions"] == SHARDS


# --- each example, run --------------------------------------------------------------------


def _expressions(text: str, values: Mapping[str, str]) -> str:
    """GitHub's ``${{ ... }}``, filled in before the shell sees the text; unknown ones fail."""
    return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: values[m[1]], text)


def _hidden(folder: str, names: list[str]) -> list[str]:
    """upload-artifact@v4 leaves hidden files out (``include-hidden-files`` is false)."""
    return [name for name in names if name.startswith(".")]


def _uses(step: Mapping[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).startswith(f"actions/{action}@")


@pytest.mark.slow
def test_the_github_actions_workflow_merges_to_one_unsharded_run(
    unsharded: Path, tmp_path: Path
) -> None:
    jobs = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))["jobs"]
    grade, merge = jobs["grade"], jobs["merge"]
    assert merge["needs"] in ("grade", ["grade"])
    shards = grade["strategy"]["matrix"]["shard"]
    ran = Ran([], [])
    artifacts: dict[str, Path] = {}
    for shard in shards:  # each matrix job on a runner of its own, from a fresh checkout
        runner = make_course(tmp_path / f"runner-{shard}")
        values = {"matrix.shard": str(shard), "strategy.job-total": str(len(shards))}
        for step in grade["steps"]:
            if "run" in step and "katas " in step["run"]:
                run_script(_expressions(step["run"], values), runner, {}, ran)
            elif _uses(step, "upload-artifact"):
                name = _expressions(step["with"]["name"], values)
                artifacts[name] = runner / _expressions(step["with"]["path"], values)
    merger = make_course(tmp_path / "runner-merge")
    for step in merge["steps"]:
        if _uses(step, "download-artifact"):
            assert not step["with"].get("merge-multiple", False)
            into = merger / step["with"]["path"]
            matched = [n for n in artifacts if fnmatch.fnmatchcase(n, step["with"]["pattern"])]
            assert sorted(matched) == sorted(artifacts)
            for name in matched:  # one folder per artifact, named after it
                shutil.copytree(artifacts[name], into / name, ignore=_hidden)
        elif "run" in step and "katas " in step["run"]:
            run_script(step["run"], merger, {}, ran)
    assert_ran_every_shard(ran)
    assert_same_batch(ran.merged[0], unsharded)


@pytest.mark.slow
def test_the_slurm_array_and_its_dependent_merge_equal_one_unsharded_run(
    unsharded: Path, tmp_path: Path
) -> None:
    script = SLURM_GRADE.read_text(encoding="utf-8")
    page = PAGE.read_text(encoding="utf-8")
    submit = "sbatch --dependency=afterok:$jobid docs/examples/slurm-merge.sh"
    assert submit in script and submit in page
    (first, last), *_ = re.findall(r"^#SBATCH --array=(\d+)-(\d+)$", script, re.MULTILINE)
    cpus = re.findall(r"^#SBATCH --cpus-per-task=(\d+)$", script, re.MULTILINE)[0]
    cluster = make_course(tmp_path / "cluster")  # one file system every node sees
    ran = Ran([], [])
    tasks = range(int(first), int(last) + 1)
    for task in tasks:
        env = {
            "SLURM_ARRAY_TASK_ID": str(task),
            "SLURM_ARRAY_TASK_COUNT": str(len(tasks)),
            "SLURM_CPUS_PER_TASK": cpus,
        }
        run_script(script, cluster, env, ran)
    run_script(SLURM_MERGE.read_text(encoding="utf-8"), cluster, {}, ran)
    assert_ran_every_shard(ran)
    assert_same_batch(ran.merged[0], unsharded)


@pytest.mark.slow
def test_the_kubernetes_indexed_job_and_merge_job_equal_one_unsharded_run(
    unsharded: Path, tmp_path: Path
) -> None:
    grade_job, merge_job = yaml.safe_load_all(K8S.read_text(encoding="utf-8"))
    assert grade_job["metadata"]["labels"] == {"step": "grade"}
    assert merge_job["metadata"]["labels"] == {"step": "merge"}
    pods = [job["spec"]["template"]["spec"] for job in (grade_job, merge_job)]
    assert pods[0]["volumes"] == pods[1]["volumes"]  # the same shared volume
    grader, merger = (pod["containers"][0] for pod in pods)
    assert grader["workingDir"] == merger["workingDir"]
    assert grader["command"] == merger["command"] == ["bash", "-c"]
    volume = make_course(tmp_path / "volume")
    ran = Ran([], [])
    for index in range(grade_job["spec"]["completions"]):  # 0-based, as Kubernetes sets it
        run_script(grader["args"][0], volume, {"JOB_COMPLETION_INDEX": str(index)}, ran)
    run_script(merger["args"][0], volume, {}, ran)
    assert_ran_every_shard(ran)
    assert_same_batch(ran.merged[0], unsharded)
