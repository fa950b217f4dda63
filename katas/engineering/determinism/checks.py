"""Hidden checks for determinism: ``seed_everything`` seeds every global generator the project
draws from and makes torch choose deterministic kernels; ``train(x, y, seed)`` then repeats
bit for bit, whatever was drawn in between."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch

from trainer.checks import Remote, plain, type_name

CUBLAS = "CUBLAS_WORKSPACE_CONFIG"
CUBLAS_FIXED = (":4096:8", ":16:8")

# The generators, flags and environment under test are the learner process's: the functions
# below run there (remote.define), and send back plain values for the checks to decide on.


def _keep_global_state(device: torch.device) -> Callable[[], None]:
    """In the learner process: a function that puts back its generators, algorithm flags and
    environment as they are now."""
    import os
    import random

    import numpy as np

    py_state, np_state = random.getstate(), np.random.get_state()
    cpu_state = torch.get_rng_state()
    gpu_state = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    flags = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )
    cudnn = (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    env = os.environ.get("CUBLAS_WORKSPACE_CONFIG")

    def restore() -> None:
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.set_rng_state(cpu_state)
        if gpu_state is not None:
            torch.cuda.set_rng_state(gpu_state, device)
        torch.use_deterministic_algorithms(flags[0], warn_only=flags[1])
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = cudnn
        if env is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
        else:
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = env

    return restore


@pytest.fixture(autouse=True)
def _global_state(remote: Remote, device: torch.device) -> Iterator[None]:
    """Leave the learner process as each check found it: generators, algorithm flags,
    environment (the process serves every check of a grading)."""
    restore = remote.define(_keep_global_state)(device)
    yield
    restore()


def _untidy() -> None:
    """In the learner process: the state a long-running process may be in when seed_everything
    is called."""
    import os

    torch.use_deterministic_algorithms(False)
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.deterministic = False
    os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)


def _consume(device: torch.device) -> None:
    """In the learner process: other code (a data pipeline, a library) draws from every global
    generator."""
    import random

    import numpy as np

    random.random()
    np.random.rand(3)
    torch.rand(5)
    if device.type == "cuda":
        torch.rand(5, device=device)


def _draws(device: torch.device) -> dict[str, list[float]]:
    """In the learner process: a few draws from each global generator, as plain numbers."""
    import random

    import numpy as np

    draws = {
        "Python's random (random.random())": [random.random() for _ in range(3)],
        "NumPy's global generator (np.random.rand())": [float(v) for v in np.random.rand(3)],
        "torch's CPU generator (torch.rand())": torch.rand(3).tolist(),
    }
    if device.type == "cuda":
        draws["torch's GPU generator (torch.rand(device='cuda'))"] = torch.rand(
            3, device=device
        ).tolist()
    return draws


def _flags() -> dict[str, object]:
    """In the learner process: torch's algorithm flags and the cuBLAS environment variable."""
    import os

    return {
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "cudnn_deterministic": torch.backends.cudnn.deterministic,
        "benchmark": torch.backends.cudnn.benchmark,
        "cublas": os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    }


def _consumed(remote: Remote, device: torch.device) -> None:
    remote.define(_consume)(device)


def _drawn(remote: Remote, device: torch.device) -> dict[str, list[float]]:
    return dict(remote.value(remote.define(_draws)(device)))


def _flags_after_seeding(learner: Any, remote: Remote) -> dict[str, Any]:
    """The learner process's flags after seed_everything(7), called in an untidy process."""
    remote.define(_untidy)()
    learner.seed_everything(7)
    return dict(remote.value(remote.define(_flags)()))


SEEDING_HINTS = {
    "Python's": "Seed it with random.seed(seed)",
    "NumPy's": "Seed it with np.random.seed(seed); np.random.default_rng(seed) makes a new, "
    "separate generator and leaves the global one (np.random.*) unseeded",
    "torch's CPU": "torch.manual_seed(seed) seeds it (and every GPU's); "
    "torch.cuda.manual_seed_all(seed) seeds only the GPUs",
    "torch's GPU": "torch.manual_seed(seed) seeds it along with the CPU's",
}


def _hint(generator: str) -> str:
    return next(hint for key, hint in SEEDING_HINTS.items() if generator.startswith(key))


def _numbers(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in values) + "]"


def _run(
    learner: Any, remote: Remote, x: torch.Tensor, y: torch.Tensor, seed: int
) -> tuple[dict[str, torch.Tensor], list[float]]:
    call = f"train(x, y, seed={seed})"
    got = learner.train(x, y, seed)
    assert isinstance(got, tuple) and len(got) == 2, (
        f"{call} returned {type_name(got)}, expected a tuple (state_dict, losses)"
    )
    state, losses = got
    assert isinstance(state, dict) and state, (
        f"{call} returned {type_name(state)} as its first item, expected the model's "
        "state_dict (a non-empty dict of tensors)"
    )
    items = remote.eval("[(k, v) for k, v in s.items()]", s=state)
    try:
        pairs = remote.value(items)  # names and tensors, in one request
    except TypeError:  # not all plain tensors: one proxy each, so plain() names the culprit
        pairs = list(items)
    values = None
    if isinstance(losses, list):
        try:  # float subclasses (NumPy's float64) as the floats they are
            values = remote.value(
                remote.eval("[float(v) if isinstance(v, float) else v for v in l]", l=losses)
            )
        except TypeError:
            values = None
    assert values is not None and all(isinstance(v, float) for v in values), (
        f"{call} returned {losses!r} as its second item, expected a list of float losses"
    )
    return {name: plain(t, f"state_dict()[{name!r}]").clone() for name, t in pairs}, values


def test_two_runs_equal(learner: Any, remote: Remote, device: torch.device) -> None:
    """two train runs with the same seed end bitwise equal"""
    torch.manual_seed(0)
    x = (torch.randn(10, 5) * 1.5 + 0.2).to(device)
    y = (torch.randn(10, 3) - 0.4).to(device)
    for seed in (3, 41):
        _consumed(remote, device)
        first_state, first_losses = _run(learner, remote, x, y, seed)
        _consumed(remote, device)  # whatever ran between the two runs drew from every generator
        second_state, second_losses = _run(learner, remote, x, y, seed)
        call = f"train(x, y, seed={seed}) with x of shape (10, 5), called twice"
        assert first_state.keys() == second_state.keys(), (
            f"{call}: the two state_dicts have different keys, {sorted(first_state)} and "
            f"{sorted(second_state)}"
        )
        for name, first in first_state.items():
            second = second_state[name]
            if first.shape == second.shape and torch.equal(first, second):
                continue
            detail = (
                f"shapes {tuple(first.shape)} and {tuple(second.shape)}"
                if first.shape != second.shape
                else f"{int((first != second).sum())} of {first.numel()} values differ, by up to "
                f"{float((first - second).abs().max()):.3g}"
            )
            raise AssertionError(
                f"{call}: the final {name!r} differs between the runs ({detail}). Losses of "
                f"run 1: {_numbers(first_losses)}, of run 2: {_numbers(second_losses)}. Every "
                "random draw in train must come from a generator seed_everything seeded, after "
                "it was seeded: the initial weights (drawn when the model is built), the "
                "mini-batch rows (random), the jitter (NumPy) and the dropout masks (torch)"
            )
        assert first_losses == second_losses, (
            f"{call}: the weights match but the logged losses do not: run 1 "
            f"{_numbers(first_losses)}, run 2 {_numbers(second_losses)}"
        )


def test_seeds_every_generator(learner: Any, remote: Remote, device: torch.device) -> None:
    """seed_everything makes Python's random, NumPy and torch repeat their draws"""
    for seed in (0, 1234):
        _consumed(remote, device)
        learner.seed_everything(seed)
        first = _drawn(remote, device)
        _consumed(remote, device)
        learner.seed_everything(seed)
        second = _drawn(remote, device)
        for generator, values in first.items():
            assert values == second[generator], (
                f"after seed_everything({seed}), {generator} gave {_numbers(values)}; after "
                f"another seed_everything({seed}) it gave {_numbers(second[generator])}, "
                f"expected the same numbers again: it is not seeded. {_hint(generator)}"
            )


def test_seed_is_used(learner: Any, remote: Remote, device: torch.device) -> None:
    """different seeds give different draws"""
    learner.seed_everything(1)
    one = _drawn(remote, device)
    learner.seed_everything(2)
    two = _drawn(remote, device)
    for generator, values in one.items():
        assert values != two[generator], (
            f"seed_everything(1) and seed_everything(2) both make {generator} give "
            f"{_numbers(values)}, expected different numbers: the seed argument must decide "
            "the seed. With a fixed seed, every run is the same run, and trying several "
            "seeds tells you nothing about the spread of your results"
        )


def test_deterministic_algorithms(learner: Any, remote: Remote, device: torch.device) -> None:
    """torch raises on operations that have no deterministic implementation"""
    flags = _flags_after_seeding(learner, remote)
    cudnn_only = flags["cudnn_deterministic"]
    assert flags["deterministic"] is True, (
        "after seed_everything(7), torch.are_deterministic_algorithms_enabled() is False, "
        "expected True. "
        + (
            "torch.backends.cudnn.deterministic = True covers only cuDNN's convolutions; "
            "other GPU operations (index_add_, scatter_add_, the backward of embedding "
            "lookups and interpolation) still add in a different order each run. "
            if cudnn_only
            else "Without it, some GPU operations add in a different order on each run, so "
            "the last bits of the result differ. "
        )
        + "Call torch.use_deterministic_algorithms(True)"
    )
    assert flags["warn_only"] is False, (
        "after seed_everything(7), deterministic algorithms are on with warn_only=True, "
        "expected an error: with warn_only, an operation that has no deterministic "
        "implementation prints a warning and runs anyway, so two runs can still differ and "
        "nothing stops the job. Call torch.use_deterministic_algorithms(True)"
    )


def test_cudnn_benchmark_off(learner: Any, remote: Remote, device: torch.device) -> None:
    """cuDNN's autotuner is off"""
    # untidy first: repro.py turns it on at import, as many training scripts do
    benchmark = _flags_after_seeding(learner, remote)["benchmark"]
    assert benchmark is False, (
        f"after seed_everything(7), torch.backends.cudnn.benchmark is "
        f"{benchmark!r}, expected False: the autotuner times several "
        "convolution kernels on the first batches and keeps the fastest, and which one wins "
        "can change from run to run, each rounding differently. Set it to False"
    )


def test_cublas_workspace(learner: Any, remote: Remote, device: torch.device) -> None:
    """cuBLAS gets a fixed workspace (CUBLAS_WORKSPACE_CONFIG)"""
    value = _flags_after_seeding(learner, remote)["cublas"]
    assert value in CUBLAS_FIXED, (
        f"after seed_everything(7), os.environ['{CUBLAS}'] is {value!r}, expected ':4096:8' "
        "(or ':16:8'). With deterministic algorithms on, every matrix product on a GPU "
        "raises a RuntimeError unless cuBLAS is given a fixed workspace through this "
        "environment variable (on a CPU it is ignored, so set it everywhere). It is read "
        "when the process first uses cuBLAS, so set it before any work on the GPU"
    )
