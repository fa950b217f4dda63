"""Hidden checks for zero-grad-placement: ``fit(model, temperature, optimizer, batches)`` makes
one SGD step per batch from that batch's gradient alone, for the model and the temperature."""

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close

N_IN, N_HIDDEN, N_CLASSES = 4, 6, 3
LR = 0.3
# float64 throughout: a correct loop matches hand-made SGD steps up to rounding
TOL = {"rtol": 1e-12, "atol": 1e-12}

# How each simulated run treats .grad: cleared before each backward (right), cleared once
# before the loop, never cleared, cleared after each step, or cleared between backward and
# step (which leaves step nothing to apply).
RIGHT, ONCE, NEVER, AFTER, BETWEEN = "right", "once", "never", "after", "between"


class _Net(nn.Module):
    """A small classifier: 4 features in, 3 logits out."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int) -> None:
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)
        self.out = nn.Linear(n_hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.hidden(x)))


def _learner_side(
    net: type[nn.Module],
    sizes: tuple[int, int, int],
    state: dict[str, torch.Tensor],
    start: float,
    stale: list[torch.Tensor] | None,
    lr: float,
    device: torch.device,
) -> tuple[nn.Module, nn.Parameter, torch.optim.Optimizer]:
    """The model, the temperature and plain SGD over both (defined in the learner process);
    ``stale`` is put in their .grad first."""
    model = net(*sizes).double().to(device)
    model.load_state_dict(state)
    temperature = nn.Parameter(torch.tensor(start, dtype=torch.float64, device=device))
    if stale is not None:
        for param, grad in zip([*model.parameters(), temperature], stale, strict=True):
            param.grad = grad.clone()
    optimizer = torch.optim.SGD([*model.parameters(), temperature], lr=lr)
    return model, temperature, optimizer


def _loss(
    model: _Net, names: list[str], values: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor
) -> torch.Tensor:
    *weights, temperature = values
    logits = torch.func.functional_call(model, dict(zip(names, weights, strict=True)), (x,))
    return F.cross_entropy(logits / temperature, y)


def _simulate(
    model: _Net,
    start: float,
    batches: list[tuple[torch.Tensor, torch.Tensor]],
    stale: list[torch.Tensor] | None,
    model_mode: str,
    temperature_mode: str,
) -> list[torch.Tensor]:
    """Hand-made SGD over the batches (the judge's own reference): the final weights and
    temperature, when the model's and the temperature's .grad are treated as the modes say."""
    names = [name for name, _ in model.named_parameters()]
    values = [p.detach().clone() for p in model.parameters()]
    values.append(torch.tensor(start, dtype=torch.float64, device=values[0].device))
    modes = [model_mode] * len(names) + [temperature_mode]
    held = [torch.zeros_like(v) for v in values] if stale is None else [g.clone() for g in stale]
    held = [torch.zeros_like(h) if mode == ONCE else h for h, mode in zip(held, modes, strict=True)]
    for x, y in batches:
        leaves = [v.clone().requires_grad_() for v in values]
        grads = torch.autograd.grad(_loss(model, names, leaves, x, y), leaves)
        for i, mode in enumerate(modes):
            if mode == BETWEEN:
                continue  # step finds no gradient and skips the parameter
            held[i] = grads[i] if mode == RIGHT else held[i] + grads[i]
            values[i] = values[i] - LR * held[i]
            if mode == AFTER:
                held[i] = torch.zeros_like(held[i])
    return values


DIAGNOSES = [
    (
        (ONCE, ONCE),
        "this is what a loop gets when .grad is never cleared between steps: backward() adds "
        "into .grad, so step k applies the sum of k gradients. Call optimizer.zero_grad() at "
        "the start of every iteration, not once before the loop",
    ),
    (
        (NEVER, NEVER),
        "this is what a loop gets that never clears .grad: each step applies the sum of all "
        "gradients so far, and of whatever .grad held on entry. Call optimizer.zero_grad() at "
        "the start of every iteration",
    ),
    (
        (BETWEEN, BETWEEN),
        "nothing was updated: step() found no gradient to apply. zero_grad() between "
        "backward() and step() does that: it erases the gradient before step() can apply it. "
        "Clear before backward(), not after it",
    ),
    (
        (RIGHT, ONCE),
        "the temperature's .grad piles up from step to step (and through the temperature, the "
        "weights drift too): model.zero_grad() clears model.parameters() only, and the "
        "temperature lives outside the model. optimizer.zero_grad() clears everything the "
        "optimizer steps",
    ),
    (
        (RIGHT, NEVER),
        "the temperature's .grad is never cleared, and what it held on entry reaches every "
        "step: model.zero_grad() clears model.parameters() only, and the temperature lives "
        "outside the model. optimizer.zero_grad() clears everything the optimizer steps",
    ),
    (
        (AFTER, AFTER),
        "the first step applied what .grad held when fit was called plus the first batch's "
        "gradient: clearing after step() leaves the stale gradients in place for the first "
        "step. Clear at the start of each iteration, before backward()",
    ),
    (
        (RIGHT, AFTER),
        "the temperature's first step used the .grad it held on entry: clear every gradient "
        "the optimizer steps, before backward(), with optimizer.zero_grad()",
    ),
]


def _diagnosis(
    model: _Net,
    start: float,
    batches: list[tuple[torch.Tensor, torch.Tensor]],
    stale: list[torch.Tensor] | None,
    got: list[torch.Tensor],
) -> str:
    for modes, message in DIAGNOSES:
        expected = _simulate(model, start, batches, stale, *modes)
        pairs = zip(got, expected, strict=True)
        if all(torch.allclose(g, e, rtol=1e-9, atol=1e-12) for g, e in pairs):
            return message
    if torch.equal(got[-1], torch.tensor(start, dtype=got[-1].dtype, device=got[-1].device)):
        return (
            "the temperature never moved: no gradient reached it. Divide by the Parameter "
            "itself, not by temperature.item() or a detached copy"
        )
    return (
        "each batch must make one optimizer step from its own loss "
        "F.cross_entropy(model(x) / temperature, y), with .grad cleared before its backward()"
    )


def _batches(sizes: list[int], device: torch.device) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [
        (
            (torch.randn(n, N_IN, dtype=torch.float64) * 1.5 + 0.3).to(device),
            torch.randint(0, N_CLASSES, (n,)).to(device),
        )
        for n in sizes
    ]


def _run_and_compare(
    learner: Any,
    remote: Remote,
    device: torch.device,
    *,
    seed: int,
    sizes: list[int],
    with_stale: bool,
) -> None:
    torch.manual_seed(seed)
    model = _Net(N_IN, N_HIDDEN, N_CLASSES).double().to(device)
    start = 0.7
    batches = _batches(sizes, device)
    stale = None
    if with_stale:
        shapes = [p.shape for p in model.parameters()] + [torch.Size([])]
        stale = [(torch.randn(s, dtype=torch.float64) * 2 + 0.5).to(device) for s in shapes]
    theirs, temperature, optimizer = remote.define(_learner_side)(
        remote.define(_Net),
        (N_IN, N_HIDDEN, N_CLASSES),
        dict(model.state_dict()),
        start,
        stale,
        LR,
        device,
    )
    learner.fit(theirs, temperature, optimizer, batches)
    got = remote.fetch(
        "[p.detach() for p in model.parameters()] + [t.detach()]", model=theirs, t=temperature
    )
    expected = _simulate(model, start, batches, stale, RIGHT, RIGHT)
    names = [f"model.{name}" for name, _ in model.named_parameters()] + ["temperature"]
    # the temperature first: its value tells the most about where .grad is cleared
    order = [len(names) - 1, *range(len(names) - 1)]
    inputs = f"{len(sizes)} batch(es) of sizes {sizes}, SGD with lr={LR}, " + (
        "random values already in every .grad" if with_stale else "every .grad None on entry"
    )
    hint = ""
    for i in order:
        if not torch.allclose(got[i], expected[i], **TOL):
            hint = hint or _diagnosis(model, start, batches, stale, got)
        assert_close(
            got[i], expected[i], what=f"{names[i]} after fit", inputs=inputs, hint=hint, **TOL
        )


def test_one_batch(learner: Any, remote: Remote, device: torch.device) -> None:
    """a single batch makes one SGD step with that batch's gradient"""
    _run_and_compare(learner, remote, device, seed=0, sizes=[5], with_stale=False)


def test_each_step_own_gradient(learner: Any, remote: Remote, device: torch.device) -> None:
    """every step uses its own batch's gradient only, the temperature's included"""
    _run_and_compare(learner, remote, device, seed=1, sizes=[5, 1, 3, 2], with_stale=False)


def test_stale_grads(learner: Any, remote: Remote, device: torch.device) -> None:
    """gradients left in .grad before the call do not reach the first step"""
    _run_and_compare(learner, remote, device, seed=2, sizes=[3, 4], with_stale=True)
