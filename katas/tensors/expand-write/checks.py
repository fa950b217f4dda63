"""Hidden checks for expand-write: ``random_walk`` must not write through an expanded view."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain, same_device

# (T, B, N): steps, walkers, dimensions; all distinct, with B = 1, N = 1, T = 1 and T = 0
CASES = [(4, 3, 5), (6, 1, 2), (1, 5, 3), (3, 2, 1), (0, 4, 2), (0, 1, 3)]


def _inputs(
    case: tuple[int, int, int], device: torch.device, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    n_steps, walkers, dims = case
    start = (torch.randn(dims, dtype=dtype) * 2 + 0.5).to(device)
    steps = torch.randn(n_steps, walkers, dims, dtype=dtype).to(device)
    return start, steps


def _describe(start: torch.Tensor, steps: torch.Tensor) -> str:
    return f"start of shape {tuple(start.shape)}, steps of shape {tuple(steps.shape)}"


def _reference(start: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    """A loop over walkers and steps, in float64."""
    rows = []
    for b in range(steps.shape[1]):
        position = start.double().clone()
        for t in range(steps.shape[0]):
            position = position + steps[t, b].double()
        rows.append(position)
    return torch.stack(rows).to(start.dtype)


def _call(learner: Any, start: Any, steps: Any, described: str) -> tuple[Any, torch.Tensor]:
    """random_walk(start, steps): the result (a learner object) and its plain copy."""
    try:
        result = learner.random_walk(start, steps)
    except RuntimeError as exc:
        error = str(exc).rstrip(".")
        why = (
            ". An expanded tensor is a view in which every walker's row is the same memory "
            "(stride 0), so an in-place update (add_, +=, [...] =) would write each number B "
            "times. Give the walkers memory of their own first"
            if "single memory location" in error
            else ""
        )
        raise AssertionError(
            f"random_walk(start, steps) raised RuntimeError for {described}: {error}{why}"
        ) from None
    return result, plain(result, "random_walk(start, steps)")


def _walk(learner: Any, start: Any, steps: Any, described: str) -> torch.Tensor:
    return _call(learner, start, steps, described)[1]


def test_values(learner: Any, device: torch.device) -> None:
    """random_walk(start, steps)[b] is start + steps[0, b] + ... + steps[T-1, b]"""
    torch.manual_seed(0)
    for i, case in enumerate(CASES):
        dtype = torch.float64 if i == 2 else torch.float32
        start, steps = _inputs(case, device, dtype)
        expected = _reference(start, steps)
        got = _walk(learner, start, steps, _describe(start, steps))
        hint = ""
        if case[0] > 0 and got.shape == expected.shape and torch.equal(got, start.expand_as(got)):
            hint = (
                "Every walker is still at start: the steps were never applied. add() (no "
                "underscore) returns a new tensor and leaves the one it is called on unchanged; "
                "keep its result (positions = positions + step) or update in place (add_)"
            )
        assert_close(
            got,
            expected,
            what="random_walk(start, steps)",
            inputs=f"{_describe(start, steps)}, {dtype}",
            rtol=1e-5,
            atol=1e-5,
            hint=hint,
        )


def test_inputs_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """start and steps are unchanged after the call"""
    torch.manual_seed(1)
    for case in sorted(CASES, key=lambda c: c[1]):  # one walker first: the silent case
        start, steps = _inputs(case, device)
        described = _describe(start, steps)
        # made in the learner process, so that what random_walk does to them can be seen
        their_start, their_steps = remote.tensor(start), remote.tensor(steps)
        _walk(learner, their_start, their_steps, described)
        assert torch.equal(plain(their_start, "start"), start), (
            f"random_walk(start, steps) changed start ({described}): start + the steps was "
            "written into start's own memory. With one walker, expand() and .contiguous() "
            "return a view of start, and an in-place add_ on it moves the start point of "
            "every later rollout"
        )
        assert torch.equal(plain(their_steps, "steps"), steps), (
            f"random_walk(start, steps) changed steps ({described}): the caller's tensors "
            "must stay as they were"
        )


def test_own_memory(learner: Any, remote: Remote, device: torch.device) -> None:
    """each walker's result has its own memory: writing into one leaves the rest alone"""
    torch.manual_seed(2)
    for case in CASES:
        start, steps = _inputs(case, device)
        described = _describe(start, steps)
        their_start = remote.tensor(start)  # in the learner process, to see writes into it
        result, got = _call(learner, their_start, steps, described)
        assert got.dim() == 2 and got.shape[0] == case[1], (
            f"random_walk(start, steps) has shape {tuple(got.shape)}, expected "
            f"{(case[1], case[2])} ({described})"
        )
        try:
            result[0].add_(1.0)  # the caller moves walker 0 on, in place (in their process)
        except RuntimeError as exc:
            raise AssertionError(
                f"writing into walker 0 of the result raised RuntimeError ({described}): {exc}"
            ) from None
        changed = []
        if not torch.equal(plain(result, "random_walk(start, steps)")[1:], got[1:]):
            changed.append("the other walkers")
        if not torch.equal(plain(their_start, "start"), start):
            changed.append("start")
        assert not changed, (
            f"after result[0].add_(1), {' and '.join(changed)} changed too ({described}): "
            "the result shares memory with start or between walkers: it is a view such as "
            "start.expand(B, N) (stride 0 over the walkers), which .contiguous() may return "
            "unchanged. Even with no steps to apply, return a tensor with its own memory, one "
            "row per walker"
        )


def test_device_and_dtype(learner: Any, device: torch.device) -> None:
    """the result is on start's device, with start's dtype"""
    torch.manual_seed(3)
    # meta tensors carry a device and a dtype but no values: on a machine without a GPU they
    # show a result made on the CPU whatever start's device is. One walker and no steps keeps
    # the meta case cheap (most ops on meta tensors load a large part of torch first)
    meta = torch.device("meta")
    for where, cases in ((device, [(3, 4, 2), (0, 2, 3)]), (meta, [(0, 1, 3)])):
        for dtype in (torch.float64, torch.float32):
            for case in cases:
                start, steps = _inputs(case, device, dtype)
                start, steps = start.to(where), steps.to(where)
                described = f"{_describe(start, steps)}, {dtype} on {where}"
                try:
                    result = learner.random_walk(start, steps)
                except RuntimeError as exc:
                    raise AssertionError(
                        f"random_walk(start, steps) raised RuntimeError for {described}: "
                        f"{str(exc).splitlines()[0]} Make the result on start's device: "
                        "torch.zeros(B, N) and torch.empty(B, N) allocate on the CPU unless "
                        "told otherwise"
                    ) from None
                got_device, got_dtype = result.device, result.dtype
                assert same_device(got_device, where) and got_dtype == dtype, (
                    f"random_walk(start, steps) returned a {got_dtype} tensor on {got_device}, "
                    f"expected {dtype} on {where} ({described}): a buffer made with "
                    "torch.zeros(B, N) or torch.empty(B, N) is float32 on the CPU whatever "
                    "start is. Build the result from start (start.expand(B, -1).clone(), "
                    "start.repeat(B, 1)) or pass dtype=start.dtype, device=start.device"
                )
