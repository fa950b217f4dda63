"""Hidden checks for accum-tokens: micro-batch gradients of a padded LM batch must add up to the
full batch's loss, the mean over every real token, and the returned loss must be that mean."""

import copy
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, plain, type_name

IGNORE = -100
VOCAB, DIM, HIDDEN = 9, 5, 6
# float64 throughout: a correct accumulation matches the full batch up to rounding
TOL = {"rtol": 1e-10, "atol": 1e-12}

# (real tokens of each sequence, T, micro_batch): the micro-batches hold different numbers
# of real tokens; in the "empty" ones, one micro-batch holds none
UNEVEN = [([5, 1, 4, 4, 2], 5, 2), ([6, 2, 1, 6], 6, 3), ([3], 4, 4), ([2, 6, 5], 6, 1)]
EMPTY = [([5, 2, 0, 0, 4, 1, 3], 5, 2), ([4, 0, 2, 3], 4, 1)]


class _TinyLM(nn.Module):
    """Tokens (b, T) to logits (b, T, V); remembers the most sequences it got in one call."""

    def __init__(self, vocab: int, dim: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.mix = nn.Linear(dim, hidden)
        self.out = nn.Linear(hidden, vocab)
        self.max_rows = 0

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        self.max_rows = max(self.max_rows, tokens.shape[0])
        return self.out(torch.tanh(self.mix(self.embed(tokens))))


def _copy_of(
    kind: type[nn.Module], sizes: tuple[int, ...], state: dict[str, torch.Tensor], device: Any
) -> nn.Module:
    """A float64 ``kind(*sizes)`` holding ``state`` (defined in the learner process)."""
    model = kind(*sizes).double().to(device)
    model.load_state_dict(state)
    return model


class _Case:
    """A model (the judge's, and the same one in the learner process) and a padded batch."""

    def __init__(
        self,
        remote: Remote,
        device: torch.device,
        seed: int,
        lengths: list[int],
        t: int,
        micro: int,
    ) -> None:
        torch.manual_seed(seed)
        self.micro, self.lengths = micro, lengths
        self.model = _TinyLM(VOCAB, DIM, HIDDEN).double().to(device)
        sizes, state = (VOCAB, DIM, HIDDEN), dict(self.model.state_dict())
        self.theirs = remote.define(_copy_of)(remote.define(_TinyLM), sizes, state, device)
        n = len(lengths)
        self.tokens = torch.randint(0, VOCAB, (n, t)).to(device)
        targets = torch.randint(0, VOCAB, (n, t))
        for row, length in enumerate(lengths):
            targets[row, length:] = IGNORE
        self.targets = targets.to(device)

    def describe(self) -> str:
        chunks = [self.lengths[i : i + self.micro] for i in range(0, len(self.lengths), self.micro)]
        counts = [sum(chunk) for chunk in chunks]
        return (
            f"N={len(self.lengths)} sequences of T={self.tokens.shape[1]} with "
            f"{self.lengths} real tokens, micro_batch={self.micro}: micro-batches with "
            f"{counts} real tokens"
        )

    def losses(self, model: nn.Module) -> list[tuple[torch.Tensor, int, int]]:
        """Each micro-batch's summed loss, its real-token count and its number of rows."""
        out = []
        for tb, yb in zip(
            self.tokens.split(self.micro), self.targets.split(self.micro), strict=True
        ):
            logits = model(tb)
            summed = F.cross_entropy(logits.reshape(-1, VOCAB), yb.reshape(-1), reduction="sum")
            out.append((summed, int((yb != IGNORE).sum()), len(tb)))
        return out

    def grads_of(
        self, combine: Callable[[list[tuple[torch.Tensor, int, int]]], torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        twin = copy.deepcopy(self.model)
        names, params = zip(*twin.named_parameters(), strict=True)
        grads = torch.autograd.grad(combine(self.losses(twin)), params, allow_unused=True)
        return {
            n: torch.zeros_like(p) if g is None else g
            for n, p, g in zip(names, params, grads, strict=True)
        }

    def total_tokens(self) -> int:
        return int((self.targets != IGNORE).sum())

    def full(self) -> dict[str, torch.Tensor]:
        n = self.total_tokens()
        return self.grads_of(lambda parts: sum(s for s, _, _ in parts) / n)

    def full_loss(self) -> float:
        with torch.no_grad():
            logits = self.model(self.tokens)
            return float(F.cross_entropy(logits.reshape(-1, VOCAB), self.targets.reshape(-1)))


def _mean(summed: torch.Tensor, count: int) -> torch.Tensor:
    return summed / count if count else summed * math.nan


def _diagnosis(case: _Case, name: str, got: torch.Tensor) -> str:
    rows = len(case.lengths)
    k = math.ceil(rows / case.micro)
    guesses: list[tuple[Callable[[list[tuple[torch.Tensor, int, int]]], torch.Tensor], str]] = [
        (
            lambda parts: sum(_mean(s, c) * (r / rows) for s, c, r in parts),
            "each micro-batch's mean was weighted by its share of the sequences, len(micro) / "
            "N. The loss averages over tokens, and micro-batches hold different numbers of "
            "real tokens: sum each micro-batch's token losses (reduction='sum') and divide by "
            "the whole batch's real-token count",
        ),
        (
            lambda parts: sum(_mean(s, c) for s, c, _ in parts) / k,
            f"each micro-batch's mean was divided by the number of micro-batches ({k}): that "
            "treats micro-batches with few real tokens like full ones. Sum each micro-batch's "
            "token losses (reduction='sum') and divide by the whole batch's real-token count",
        ),
        (
            lambda parts: sum(_mean(s, c) for s, c, _ in parts),
            "the micro-batch means were added unscaled: every token is counted about "
            f"{k} times too much. Sum the token losses (reduction='sum') and divide by the "
            "whole batch's real-token count",
        ),
    ]
    for combine, message in guesses:
        reference = case.grads_of(combine)[name]
        if torch.allclose(got, reference, rtol=1e-8, atol=1e-12, equal_nan=True):
            return message
    if not bool(got.isfinite().all()):
        return (
            "NaN in the gradient: a micro-batch without real tokens has a mean of 0 / 0. Sum "
            "its token losses instead (reduction='sum'): a sum over no tokens is 0"
        )
    return "the accumulated .grad must equal the gradient of the whole batch's mean over tokens"


def _learner_grads(learner: Any, remote: Remote, case: _Case) -> tuple[Any, dict]:
    returned = learner.accumulate_grads(case.theirs, case.tokens, case.targets, case.micro)
    named = remote.fetch("[(n, p.grad) for n, p in m.named_parameters()]", m=case.theirs)
    grads = {}
    for name, grad in named:
        assert grad is not None, (
            f"after accumulate_grads ({case.describe()}), {name}.grad is None, expected the "
            "whole batch's gradient: did backward() run?"
        )
        grads[name] = plain(grad, f"{name}.grad")
    return returned, grads


def _check_grads(
    case: _Case, grads: dict[str, torch.Tensor], stale: dict[str, torch.Tensor] | None = None
) -> None:
    expected = case.full()
    when = ", with .grad already holding the previous step's gradients" if stale else ""
    for name, grad in grads.items():
        close = grad.shape == expected[name].shape and torch.allclose(grad, expected[name], **TOL)
        hint = ""
        if not close and stale is not None and torch.allclose(grad - stale[name], expected[name]):
            hint = (
                "your result is the old .grad plus the new gradient: backward() adds into "
                ".grad, so clear it (model.zero_grad()) before the first micro-batch"
            )
        elif not close:
            hint = _diagnosis(case, name, grad)
        assert_close(
            grad,
            expected[name],
            what=f"{name}.grad",
            inputs=case.describe() + when,
            hint=hint,
            **TOL,
        )


def _check_loss(learner: Any, remote: Remote, case: _Case, got: Any) -> None:
    expected = case.full_loss()
    assert isinstance(got, float), (
        f"accumulate_grads returned {type_name(got)}, expected a Python float (the loss for "
        "the log)"
    )
    if type(got) is not float:  # a float subclass of the learner's: its value
        got = remote.eval("float(value)", value=got)
    assert not math.isnan(got), (
        f"accumulate_grads returned nan for {case.describe()}, expected {expected:.10g}: a "
        "micro-batch without real tokens has a mean of 0 / 0 = NaN, and NaN times any weight, "
        "0 included, stays NaN. Sum its token losses (reduction='sum') instead: a sum over no "
        "tokens is 0"
    )
    assert abs(got - expected) <= 1e-10 * max(1.0, abs(expected)), (
        f"accumulate_grads returned {got:.10g} for {case.describe()}, expected {expected:.10g}, "
        "the mean cross-entropy over every real token of the whole batch"
    )


def test_matches_full_batch(learner: Any, remote: Remote, device: torch.device) -> None:
    """the gradients equal the full batch's, a mean over every real token"""
    for seed, (lengths, t, micro) in enumerate(UNEVEN):
        case = _Case(remote, device, seed, lengths, t, micro)
        _check_grads(case, _learner_grads(learner, remote, case)[1])


def test_empty_micro_batch(learner: Any, remote: Remote, device: torch.device) -> None:
    """a micro-batch without real tokens adds nothing and turns nothing into NaN"""
    for seed, (lengths, t, micro) in enumerate(EMPTY, start=10):
        case = _Case(remote, device, seed, lengths, t, micro)
        returned, grads = _learner_grads(learner, remote, case)
        _check_grads(case, grads)
        _check_loss(learner, remote, case, returned)


def test_returns_loss(learner: Any, remote: Remote, device: torch.device) -> None:
    """returns the whole batch's loss, the mean over real tokens, as a float"""
    for seed, (lengths, t, micro) in enumerate(UNEVEN, start=20):
        case = _Case(remote, device, seed, lengths, t, micro)
        returned = learner.accumulate_grads(case.theirs, case.tokens, case.targets, case.micro)
        _check_loss(learner, remote, case, returned)


def _set_grads(model: nn.Module, grads: dict[str, torch.Tensor]) -> None:
    """Put ``grads`` in the parameters' .grad (defined in the learner process)."""
    for name, param in model.named_parameters():
        param.grad = grads[name].clone()


def test_stale_grads_cleared(learner: Any, remote: Remote, device: torch.device) -> None:
    """gradients left over from the previous step do not leak in"""
    lengths, t, micro = UNEVEN[0]
    case = _Case(remote, device, 30, lengths, t, micro)
    stale = {n: torch.randn_like(p) * 2 + 0.5 for n, p in case.model.named_parameters()}
    remote.define(_set_grads)(case.theirs, stale)
    _check_grads(case, _learner_grads(learner, remote, case)[1], stale)


def test_micro_batch_size(learner: Any, remote: Remote, device: torch.device) -> None:
    """the model never gets more than micro_batch sequences at once"""
    for seed, (lengths, t, micro) in enumerate([UNEVEN[0], EMPTY[1]], start=40):
        case = _Case(remote, device, seed, lengths, t, micro)
        learner.accumulate_grads(case.theirs, case.tokens, case.targets, case.micro)
        max_rows = int(case.theirs.max_rows)
        assert max_rows > 0, "accumulate_grads never called the model"
        assert max_rows <= micro, (
            f"with {case.describe()}, the model got {max_rows} sequences in one call: no "
            "forward pass may hold more than micro_batch sequences (that is what fits in memory)"
        )
