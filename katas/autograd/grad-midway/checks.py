"""Hidden checks for grad-midway: per-loss gradients that later backward calls cannot change."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain, type_name

N_IN, N_OUT = 3, 5
SECOND_TIME = "backward through the graph a second time"
F32 = {"rtol": 1e-5, "atol": 1e-6}


def _losses(param: torch.Tensor, x: torch.Tensor, t: torch.Tensor, n: int) -> list[torch.Tensor]:
    """n scalar losses that all go through one shared tanh(x @ param)."""
    h = torch.tanh(x @ param)
    every = [
        h.pow(2).mean(),
        (h * t).sum(),
        h.logsumexp(dim=1).mean(),
        0.1 * h.sum(dim=0).pow(2).sum(),
    ]
    return every[:n]


def _setup(seed: int, rows: int, device: torch.device) -> tuple[torch.Tensor, ...]:
    torch.manual_seed(seed)
    param = (torch.randn(N_IN, N_OUT) * 0.8 + 0.1).to(device).requires_grad_()
    x = (torch.randn(rows, N_IN) * 1.5).to(device)
    t = torch.randn(rows, N_OUT).to(device)
    return param, x, t


def _reference(param: torch.Tensor, x: torch.Tensor, t: torch.Tensor, n: int):
    twin = param.detach().clone().requires_grad_()
    return [
        torch.autograd.grad(loss, twin, retain_graph=True)[0] for loss in _losses(twin, x, t, n)
    ]


class _Returned:
    """What task_gradients returned: its entries in the learner process (for what the checks
    do to them there) and their values here, as they were when it returned."""

    def __init__(self, entries: list[Any], values: list[torch.Tensor], same: list[list[bool]]):
        self.entries = entries
        self.values = values
        self.same = same
        """same[i][j]: entries i and j share one memory buffer in the learner process."""


def _shared_storage(grads: list[torch.Tensor]) -> list[list[bool]]:
    """Which entries share a memory buffer (defined in the learner process)."""
    ptrs = [g.untyped_storage().data_ptr() for g in grads]
    return [[a == b for b in ptrs] for a in ptrs]


def _call(learner: Any, remote: Remote, param: Any, losses: Any, n: int) -> _Returned:
    try:
        grads = learner.task_gradients(param, losses)
    except RuntimeError as exc:
        if SECOND_TIME not in str(exc):
            raise
        raise AssertionError(
            "task_gradients raised 'Trying to backward through the graph a second time': the "
            "losses share one graph, and a backward pass frees it unless you pass "
            "retain_graph=True (on every pass but the last)"
        ) from None
    is_sequence = isinstance(grads, (list, tuple))
    length = len(grads) if is_sequence else 0
    assert is_sequence and length == n, (
        f"task_gradients returned {type_name(grads)} "
        f"{'of length ' + str(length) if is_sequence else ''}, "
        f"expected a list of {n} tensors, one per loss"
    )
    entries = list(grads)
    try:
        values = remote.value(grads)  # every entry in one request
    except TypeError:  # an entry that is not plain data: plain() names it below
        values = entries
    values = [plain(g, f"entry {i} of the returned list") for i, g in enumerate(values)]
    same = remote.value(remote.define(_shared_storage)(grads))
    return _Returned(entries, values, same)


def _their_losses(
    remote: Remote, param: torch.Tensor, x: torch.Tensor, t: torch.Tensor, n: int
) -> tuple[Any, Any]:
    """A leaf copy of param in the learner process, and n losses of it built there."""
    theirs = remote.tensor(param.detach().clone().requires_grad_())
    return theirs, remote.define(_losses)(theirs, x, t, n)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _mean_hint(grads: list[torch.Tensor], got: torch.Tensor) -> str:
    mine = torch.stack(grads).mean(0)
    if torch.allclose(plain(got, "param.grad"), mine, **F32):
        return (
            "param.grad is the mean of the entries you returned, but those are not the "
            "per-loss gradients (see the check on the entries)"
        )
    return (
        "It must equal (g_0 + ... + g_{n-1}) / n. Changing param.grad between two backward "
        "calls (say, scaling it) also changes what the next backward adds to"
    )


def _alias_hint(returned: _Returned, refs: list[torch.Tensor], i: int) -> str:
    grads = returned.values
    if any(returned.same[i][j] for j in range(len(grads)) if j != i):
        return (
            f"entry {i} shares its memory with another entry: both are the buffer that "
            "param.grad pointed to, which every later zero_() and backward() overwrote in "
            "place. Append a copy (.clone(); .detach() still shares the memory)"
        )
    running = torch.stack(refs[: i + 1]).sum(0)
    if i > 0 and torch.allclose(grads[i], running, **F32):
        return (
            f"entry {i} is the sum of the gradients of losses 0..{i}: backward() adds into "
            "param.grad, so clear it before each loss (or use torch.autograd.grad)"
        )
    return f"entry {i} must be the gradient of losses[{i}] alone"


def test_per_loss_gradients(learner: Any, remote: Remote, device: torch.device) -> None:
    """entry i is the gradient of losses[i] alone"""
    for seed, (n, rows) in enumerate([(2, 1), (3, 6), (4, 4), (1, 3)]):
        param, x, t = _setup(seed, rows, device)
        refs = _reference(param, x, t, n)
        returned = _call(learner, remote, *_their_losses(remote, param, x, t, n), n)
        for i, (got, want) in enumerate(zip(returned.values, refs, strict=True)):
            assert_close(
                got,
                want,
                what=f"entry {i} (d losses[{i}] / d param)",
                inputs=f"{_count(n, 'loss', 'losses')}, x with {_count(rows, 'row', 'rows')}",
                hint=_alias_hint(returned, refs, i),
                **F32,
            )


def test_mean_in_grad(learner: Any, remote: Remote, device: torch.device) -> None:
    """param.grad ends up holding the mean of the per-loss gradients"""
    for seed, (n, rows) in enumerate([(1, 2), (2, 5), (3, 1)], start=10):
        param, x, t = _setup(seed, rows, device)
        mean = torch.stack(_reference(param, x, t, n)).mean(0)
        theirs, losses = _their_losses(remote, param, x, t, n)
        returned = _call(learner, remote, theirs, losses, n)
        grad = theirs.grad
        assert grad is not None, (
            f"after task_gradients ({n} losses), param.grad is None, expected the mean of the "
            "per-loss gradients for the optimizer"
        )
        got = plain(grad, "param.grad")
        assert_close(
            got,
            mean,
            what="param.grad",
            inputs=_count(n, "loss", "losses"),
            hint=_mean_hint(returned.values, got),
            **F32,
        )


def test_entries_stay_put(learner: Any, remote: Remote, device: torch.device) -> None:
    """the returned gradients do not change when training goes on"""
    for seed, (n, rows) in enumerate([(1, 4), (3, 3)], start=20):
        param, x, t = _setup(seed, rows, device)
        refs = _reference(param, x, t, n)
        theirs, losses = _their_losses(remote, param, x, t, n)
        returned = _call(learner, remote, theirs, losses, n)
        snapshots = returned.values  # copies, fetched when task_gradients returned
        # the next training step: zero_grad(set_to_none=False), then a new backward
        grad = theirs.grad
        assert grad is not None, "after task_gradients, param.grad is None"
        grad.zero_()
        x_next, t_next = torch.randn_like(x) * 2, torch.randn_like(t)
        remote.define(_losses)(theirs, x_next, t_next, 2)[1].backward()
        after = remote.value(returned.entries)
        for i, got in enumerate(after):
            assert torch.equal(got, snapshots[i]), (
                f"entry {i} changed after the caller ran param.grad.zero_() and another "
                f"backward() ({_count(n, 'loss', 'losses')}): it shares memory with "
                "param.grad, so the log is overwritten by the next training step. Return copies"
            )
        # changing one entry in place (a gradient projection, say) must not touch the others
        returned.entries[0].mul_(-2.0)
        after = remote.value(returned.entries)
        for i in range(1, n):
            assert_close(
                after[i],
                refs[i],
                what=f"entry {i}",
                inputs=f"{_count(n, 'loss', 'losses')}, after entry 0 was changed in place",
                hint="entries share memory; each must be a tensor of its own",
                **F32,
            )
