"""Hidden checks for grad-accum: micro-batch gradients must add up to the big batch's."""

import copy
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, plain, type_name

N_IN, N_HIDDEN, N_OUT = 5, 7, 3
# float64 throughout: a correct accumulation matches the big batch up to rounding
TOL = {"rtol": 1e-10, "atol": 1e-12}


class _Mark(torch.autograd.Function):
    """The identity, as a graph node that notes when backward has run through it."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return x.clone()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        ctx.done = True  # ctx is the graph node (out.grad_fn)
        return grad


class _Net(nn.Module):
    """A small MLP that remembers the largest batch it was given and, at each forward pass
    that records a graph, how many earlier graphs are alive without a backward yet."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int) -> None:
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)
        self.out = nn.Linear(n_hidden, n_out)
        self.max_rows = 0
        self.graphs: list = []  # weak references to each forward pass's _Mark node
        self.pending_at_forward: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import weakref

        self.max_rows = max(self.max_rows, x.shape[0])
        if torch.is_grad_enabled():
            nodes = [ref() for ref in self.graphs]
            pending = [n for n in nodes if n is not None and not getattr(n, "done", False)]
            self.pending_at_forward.append(len(pending))
        h = _Mark.apply(torch.tanh(self.hidden(x)))
        if h.grad_fn is not None:  # lives exactly as long as this forward pass's graph
            self.graphs.append(weakref.ref(h.grad_fn))
        return self.out(h)


def _copy_of(
    kind: type[nn.Module],
    sizes: tuple[int, ...],
    state: dict[str, torch.Tensor],
    device: torch.device,
) -> nn.Module:
    """A float64 ``kind(*sizes)`` with the weights ``state`` (defined in the learner process)."""
    model = kind(*sizes).double().to(device)
    model.load_state_dict(state)
    return model


def _setup(
    seed: int, n: int, remote: Remote, device: torch.device
) -> tuple[_Net, Any, torch.Tensor, torch.Tensor]:
    """The same model twice (the judge's for the references, the learner process's for
    accumulate_grads), and a batch."""
    torch.manual_seed(seed)
    model = _Net(N_IN, N_HIDDEN, N_OUT).double().to(device)
    sizes, state = (N_IN, N_HIDDEN, N_OUT), dict(model.state_dict())
    remote.define(_Mark)
    theirs = remote.define(_copy_of)(remote.define(_Net), sizes, state, device)
    x = (torch.randn(n, N_IN, dtype=torch.float64) * 2 + 0.5).to(device)
    y = (torch.randn(n, N_OUT, dtype=torch.float64) * 1.5 - 0.2).to(device)
    return model, theirs, x, y


def _grads_of(model: _Net, loss_of: Callable[[_Net], torch.Tensor]) -> dict[str, torch.Tensor]:
    twin = copy.deepcopy(model)
    names, params = zip(*twin.named_parameters(), strict=True)
    grads = torch.autograd.grad(loss_of(twin), params)
    return dict(zip(names, grads, strict=True))


def _big_batch(model: _Net, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    return _grads_of(model, lambda m: F.mse_loss(m(x), y))


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.allclose(a, b, rtol=1e-8, atol=1e-12)


def _learner_grads(
    learner: Any, remote: Remote, model: Any, x: torch.Tensor, y: torch.Tensor, micro: int
) -> dict[str, torch.Tensor]:
    learner.accumulate_grads(model, x, y, micro)
    named = remote.value(  # every .grad in one request
        remote.eval("[(n, p.grad) for n, p in model.named_parameters()]", model=model)
    )
    grads = {}
    for name, grad in named:
        assert grad is not None, (
            f"after accumulate_grads (N={len(x)}, micro_batch={micro}), {name}.grad is None, "
            "expected the whole batch's gradient: did backward() run?"
        )
        grads[name] = plain(grad, f"{name}.grad")
    return grads


def _diagnosis(
    model: _Net, x: torch.Tensor, y: torch.Tensor, micro: int, name: str, got: torch.Tensor
) -> str:
    chunks = list(zip(x.split(micro), y.split(micro), strict=True))
    k = len(chunks)
    summed = _grads_of(model, lambda m: sum(F.mse_loss(m(a), b) for a, b in chunks))[name]
    if k > 1 and _close(got, summed):
        return (
            f"your gradient is the sum of {k} micro-batch means: each micro-batch loss is a "
            "mean over its own samples, so adding them unscaled counts every sample about "
            f"{k} times. Scale each micro-batch loss by its share of the batch, len(micro) / N"
        )
    xb, yb = chunks[-1]
    last = _grads_of(model, lambda m: F.mse_loss(m(xb), yb))[name]
    if k > 1 and (_close(got, last) or _close(got, last * len(xb) / len(x))):
        return (
            "your gradient is the last micro-batch's alone: clearing .grad inside the loop "
            "throws the earlier micro-batches away. Clear it once, before the loop"
        )
    per_chunk = _grads_of(model, lambda m: sum(F.mse_loss(m(a), b) for a, b in chunks) / k)[name]
    if k > 1 and _close(got, per_chunk):
        return (
            f"you divided every micro-batch loss by the number of micro-batches ({k}), but "
            f"the last one holds {len(xb)} samples, not {micro}: it gets too much weight. "
            "Scale each micro-batch loss by len(micro) / N"
        )
    return "the accumulated .grad must equal the gradient of F.mse_loss(model(x), y)"


def _check_grads(
    learner: Any, remote: Remote, seed: int, n: int, micro: int, device: torch.device
) -> None:
    model, theirs, x, y = _setup(seed, n, remote, device)
    expected = _big_batch(model, x, y)
    got = _learner_grads(learner, remote, theirs, x, y, micro)
    for name, grad in got.items():
        assert_close(
            grad,
            expected[name],
            what=f"{name}.grad",
            inputs=f"N={n}, micro_batch={micro}",
            hint=_diagnosis(model, x, y, micro, name, grad),
            **TOL,
        )


def test_matches_big_batch(learner: Any, remote: Remote, device: torch.device) -> None:
    """the gradients equal one backward pass on the whole batch"""
    for seed, (n, micro) in enumerate([(12, 4), (3, 1), (6, 6), (1, 4)]):
        _check_grads(learner, remote, seed, n, micro, device)


def _set_grads(model: nn.Module, grads: dict[str, torch.Tensor]) -> None:
    """Put ``grads`` in the parameters' .grad (defined in the learner process)."""
    for name, param in model.named_parameters():
        param.grad = grads[name]


def test_stale_grads_cleared(learner: Any, remote: Remote, device: torch.device) -> None:
    """gradients left over from the previous step do not leak in"""
    model, theirs, x, y = _setup(10, 8, remote, device)
    expected = _big_batch(model, x, y)
    # the previous step's gradient
    stale = {name: torch.randn_like(param) * 3 + 1 for name, param in model.named_parameters()}
    remote.define(_set_grads)(theirs, stale)
    got = _learner_grads(learner, remote, theirs, x, y, 4)
    for name, grad in got.items():
        leaked = _close(grad - stale[name], expected[name])
        assert_close(
            grad,
            expected[name],
            what=f"{name}.grad",
            inputs="N=8, micro_batch=4, with .grad already holding the previous step's gradient",
            hint=(
                "your result is the old .grad plus the new gradient: backward() adds into "
                ".grad, so clear it (model.zero_grad()) before the first micro-batch"
                if leaked
                else _diagnosis(model, x, y, 4, name, grad)
            ),
            **TOL,
        )


def test_uneven_last_batch(learner: Any, remote: Remote, device: torch.device) -> None:
    """a smaller last micro-batch counts by its size"""
    for seed, (n, micro) in enumerate([(10, 4), (5, 3), (7, 2)], start=20):
        _check_grads(learner, remote, seed, n, micro, device)


def test_micro_batch_size(learner: Any, remote: Remote, device: torch.device) -> None:
    """the model never sees more than micro_batch samples at once"""
    for seed, (n, micro) in enumerate([(12, 4), (9, 2)], start=30):
        _, model, x, y = _setup(seed, n, remote, device)
        learner.accumulate_grads(model, x, y, micro)
        max_rows = int(model.max_rows)
        assert max_rows > 0, "accumulate_grads never called the model"
        assert max_rows <= micro, (
            f"with N={n} and micro_batch={micro}, the model got a batch of {max_rows} "
            f"samples: the point of accumulation is that no forward pass holds more than "
            f"micro_batch samples (that is what fits in memory)"
        )


def test_backward_per_micro_batch(learner: Any, remote: Remote, device: torch.device) -> None:
    """each micro-batch's backward runs before the next forward pass"""
    for seed, (n, micro) in enumerate([(12, 4), (5, 2)], start=35):
        _, model, x, y = _setup(seed, n, remote, device)
        learner.accumulate_grads(model, x, y, micro)
        pending = [int(p) for p in remote.value(model.pending_at_forward)]
        worst = max(pending, default=0)
        assert worst == 0, (
            f"with N={n} and micro_batch={micro}, a forward pass started while the graphs of "
            f"{worst} earlier micro-batches were still waiting for their backward(): every "
            "graph (with all its activations) stays in memory until backward runs, so "
            "summing the micro-batch losses and calling backward() once at the end needs as "
            "much memory as the whole batch. Call backward() on each micro-batch's loss "
            "before the next forward pass"
        )


def test_returns_loss(learner: Any, remote: Remote, device: torch.device) -> None:
    """returns the whole batch's loss as a float"""
    for seed, (n, micro) in enumerate([(12, 4), (10, 4), (1, 3)], start=40):
        model, theirs, x, y = _setup(seed, n, remote, device)
        with torch.no_grad():
            expected = float(F.mse_loss(model(x), y))
        got = learner.accumulate_grads(theirs, x, y, micro)
        assert isinstance(got, float), (
            f"accumulate_grads returned {type_name(got)}, expected a Python float "
            "(the loss for logging)"
        )
        if type(got) is not float:  # a float subclass of the learner process: its value
            name, got = type_name(got), remote.eval("float(value)", value=got)
            assert type(got) is float, (
                f"float() of what accumulate_grads returned ({name}) is no float"
            )
        assert abs(got - expected) <= 1e-10 * max(1.0, abs(expected)), (
            f"accumulate_grads returned {got:.10g} for N={n}, micro_batch={micro}, expected "
            f"{expected:.10g}, the mean squared error over the whole batch: weight each "
            "micro-batch's loss by its share of the batch, len(micro) / N"
        )
