"""Hidden checks for d2h-nonblocking: ``fetch(t)`` returns a CPU copy of a CUDA tensor whose
values are all in place when it returns, even when ``t`` was still queued behind a long kernel
and even for a copy large enough to take milliseconds.

GPU only: pinned memory needs a CUDA build and a GPU, and on a CPU every copy is synchronous,
so no stand-in shows the race. The work runs in the learner process, on its CUDA stream (work
queued in another process would not be ordered with it): a long kernel
(``torch.cuda._sleep``), then the work that makes ``t``, then ``fetch(t)``, then an immediate
copy of the values it returned, taken before anything else can wait for the GPU. Those
snapshots come back by value and are compared here with values computed here.

Before each timed call, ``fetch`` runs once on a tensor of the same size with other values and
the GPU is drained, so the pinned buffer the timed call gets is a reused one (no first-time
allocation that could wait for the GPU), holding values that differ from the expected ones."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain

SPIN = 100_000_000
"""``torch.cuda._sleep`` cycles: 50 to 100 ms on a GPU clocked at 1 to 2 GHz."""
LARGE = 64 * 1024 * 1024
"""int32 values in the large tensor: 256 MB, a copy of several milliseconds."""
TAIL = 4096
"""How many of the large tensor's last values are read."""
WAIT_AFTER = (
    "fetch returned before the copy had finished, and the caller read a buffer the GPU had "
    "not filled yet. A non_blocking copy is only queued: wait for it after queuing it, with "
    "an event recorded after the copy (event.synchronize()) or "
    "torch.cuda.current_stream().synchronize()"
)


def _on(remote: Remote, device: torch.device) -> Any:
    """``device`` made current in the learner process (a context manager entered there)."""
    return remote.eval("torch.cuda.device(device)", device=device)


def _fetch_at_once(
    fetch: object, base: torch.Tensor, offset: float, stale: float, spin: int, keep: int
) -> tuple[object, object]:
    """In the learner process: warm ``fetch`` up on other values and drain the GPU; then queue
    ``spin`` cycles of spinning, the work that makes ``t = base * 3 + offset`` behind it, call
    ``fetch(t)``, and copy the last ``keep`` values it returned at once. Returns (that
    snapshot, what fetch returned)."""
    warm = fetch(base * 3 + stale)  # type: ignore[operator]
    torch.cuda.synchronize()
    del warm
    if spin:
        torch.cuda._sleep(spin)
    got = fetch(base * 3 + offset)  # type: ignore[operator]
    if not isinstance(got, torch.Tensor):
        return None, got
    snapshot = got.reshape(-1)[-keep:].clone()
    return snapshot, got


def _expected(base: torch.Tensor, offset: float, keep: int) -> torch.Tensor:
    return (base * 3 + offset).reshape(-1)[-keep:]


def test_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """fetch(t) returns a CPU tensor with t's shape, dtype and values, and leaves t alone"""
    torch.manual_seed(0)
    cases = [
        (torch.randn(37, 5) * 4 + 1, False),
        (torch.randint(-1000, 1000, (1,), dtype=torch.int64), False),
        (torch.randn(6, 3).half(), True),  # fetched as a transposed, non-contiguous view
    ]
    with _on(remote, device):
        for value, transposed in cases:
            theirs = remote.tensor(value.to(device))
            if transposed:
                theirs, value = remote.eval("x.t()", x=theirs), value.t()
            described = f"t of shape {tuple(value.shape)}, {value.dtype}" + (
                ", not contiguous" if transposed else ""
            )
            got = learner.fetch(theirs)
            remote.eval("torch.cuda.synchronize()")  # here only the values are judged
            result = plain(got, "fetch(t)")
            assert result.device.type == "cpu", (
                f"fetch(t) returned a tensor on {result.device} for {described}, expected a "
                "CPU tensor"
            )
            assert_close(result, value, what="fetch(t)", inputs=described)
            assert torch.equal(plain(theirs, "t").cpu(), value), (
                f"fetch(t) changed t ({described}): only read it"
            )


def test_ready_behind_queued_work(learner: Any, remote: Remote, device: torch.device) -> None:
    """the values are in place when fetch returns, with t still queued behind a long kernel"""
    torch.manual_seed(1)
    run = remote.define(_fetch_at_once)
    for base, offset in (
        (torch.randn(37, 5) * 4, 1.5),
        (torch.randint(0, 10_000, (3, 4, 2), dtype=torch.int32), 7),
    ):
        described = (
            f"t = base * 3 + {offset} of shape {tuple(base.shape)}, {base.dtype}, queued "
            "behind a kernel that keeps the GPU busy for 50-100 ms"
        )
        with _on(remote, device):
            theirs = remote.tensor(base.to(device))
            snapshot, got = run(learner.fetch, theirs, offset, offset + 1000, SPIN, base.numel())
        plain(got, "fetch(t)")
        assert_close(
            plain(snapshot, "fetch(t), read at once"),
            _expected(base, offset, base.numel()),
            what="fetch(t), read as soon as fetch returned",
            inputs=described,
            hint=WAIT_AFTER,
        )


def test_large_copy_complete(learner: Any, remote: Remote, device: torch.device) -> None:
    """the whole copy is done when fetch returns, the last values of 256 MB included"""
    run = remote.define(_fetch_at_once)
    offset, stale = 123_457, 987_654
    with _on(remote, device):
        base = remote.eval(
            "torch.arange(n, dtype=torch.int32, device=device)", n=LARGE, device=device
        )
        snapshot, got = run(learner.fetch, base, offset, stale, 0, TAIL)
    assert remote.eval("isinstance(got, torch.Tensor)", got=got), "fetch(t) returned no tensor"
    expected = _expected(torch.arange(LARGE - TAIL, LARGE, dtype=torch.int32), offset, TAIL)
    assert_close(
        plain(snapshot, "fetch(t), read at once"),
        expected,
        what=f"the last {TAIL} values of fetch(t), read as soon as fetch returned",
        inputs="a 256 MB int32 t (a copy of several milliseconds)",
        hint="the copy was still running: a wait placed before the copy (a synchronize, or "
        "an event recorded before it) covers the work that made t, not the copy. " + WAIT_AFTER,
    )
