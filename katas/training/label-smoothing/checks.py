"""Hidden checks for label-smoothing: ``smoothed_ce(logits, target, eps)`` equals
F.cross_entropy with label_smoothing=eps and ignore_index=-100 on (B, T, V) logits, value and
gradient, and leaves its inputs alone."""

from typing import Any

import torch
import torch.nn.functional as F

from trainer.checks import LearnerRaised, Remote, assert_close, plain

IGNORE = -100
# float32: a hand-written sum and torch's fused kernel round differently
F32 = {"rtol": 1e-5, "atol": 1e-6}

# (B, T, V, eps, dtype, padded positions as (b, t) or "all but one"); V != T everywhere, so
# classes and positions cannot be confused
CASES: list[tuple[int, int, int, float, torch.dtype, str]] = [
    (1, 5, 7, 0.1, torch.float32, "tail"),
    (3, 4, 11, 0.0, torch.float64, "tail"),
    (2, 6, 9, 0.1, torch.float64, "none"),
    (2, 3, 5, 0.25, torch.float32, "all but one"),
    (1, 1, 6, 0.1, torch.float64, "none"),
]


def _inputs(
    b: int, t: int, v: int, dtype: torch.dtype, padding: str, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    logits = torch.randn(b, t, v, dtype=dtype) * 2.5 + torch.linspace(-1, 1, v, dtype=dtype)
    target = torch.randint(0, v, (b, t))
    if padding == "tail":  # sequences of different lengths, the first one full
        for row in range(1, b):
            target[row, t - row :] = IGNORE
        if b == 1:
            target[0, t - 2 :] = IGNORE
    elif padding == "all but one":
        keep = target[b - 1, t // 2].item()
        target.fill_(IGNORE)
        target[b - 1, t // 2] = keep
    return logits.to(device), target.to(device)


def _reference(logits: torch.Tensor, target: torch.Tensor, eps: float) -> torch.Tensor:
    return F.cross_entropy(logits.transpose(1, 2), target, label_smoothing=eps)


def _describe(b: int, t: int, v: int, eps: float, dtype: torch.dtype, padding: str) -> str:
    pad = {
        "tail": "the last positions padded with -100",
        "none": "no padding",
        "all but one": "every position but one padded with -100",
    }[padding]
    return f"logits of shape ({b}, {t}, {v}), {dtype}, eps={eps}, {pad}"


def _diagnosis(logits: torch.Tensor, target: torch.Tensor, eps: float, got: torch.Tensor) -> str:
    """The likely mistake, from the value that came back (computed in float64)."""
    if got.numel() != 1 or not bool(got.isfinite().all()):
        return ""
    value = float(got)
    x, v = logits.double(), logits.shape[-1]
    logp = x.log_softmax(-1)
    valid = target != IGNORE
    safe = target.masked_fill(~valid, 0)
    nll = -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    uniform = -logp.mean(-1)
    others = (-logp.sum(-1) - nll) / (v - 1)
    guesses = [
        (
            (((1 - eps) * nll + eps * others) * valid).sum() / valid.numel(),
            "two mistakes at once: the smoothing puts eps / (V - 1) on the wrong classes "
            "(torch puts eps / V on every class, the true one included), and the mean "
            "divides by all B * T positions, padded ones included",
        ),
        (
            ((1 - eps) * nll + eps * others)[valid].mean(),
            "that is the loss with eps / (V - 1) on each wrong class and 1 - eps on the true "
            "one. torch puts eps / V on every class, the true one included: the true class "
            "gets 1 - eps + eps / V",
        ),
        (
            (((1 - eps) * nll + eps * uniform) * valid).sum() / valid.numel(),
            "that is the sum over the real positions divided by all B * T positions: padded "
            "positions still count in the mean. Divide by the number of real positions",
        ),
        (
            ((1 - eps) * nll + eps * uniform).mean(),
            "that is the mean over every position, padded ones included (their target -100 "
            "replaced by a real class). Drop padded positions from the sum and the count",
        ),
        (
            ((1 - eps) * nll + eps * v * uniform)[valid].mean(),
            "that puts eps on every class (a total of eps * V), not eps / V",
        ),
        (
            F.cross_entropy(x.reshape(x.shape[0], v, -1), target, label_smoothing=eps),
            "that is F.cross_entropy on logits.view(B, V, T): view keeps the memory order, so "
            "classes and positions get mixed up. Use logits.transpose(1, 2), or flatten to "
            "(B*T, V) and (B*T,)",
        ),
    ]
    for guess, message in guesses:
        if abs(value - float(guess)) <= 1e-5 * max(1.0, abs(float(guess))):
            return message
    return ""


def _call(learner: Any, logits: Any, target: Any, eps: float) -> Any:
    """smoothed_ce(logits, target, eps), with a -100 used as a class index explained."""
    try:
        return learner.smoothed_ce(logits, target, eps)
    except LearnerRaised as exc:
        text = str(exc)
        if "non-negative" in text or "out of bounds" in text or "-100" in text:
            raise AssertionError(
                f"smoothed_ce raised {exc.short_type}: {text.splitlines()[0].rstrip('.')}. A -100 "
                "target "
                "reached one_hot, gather or scatter as a class index: replace it with any real "
                "class first (target.masked_fill(target == -100, 0)), and drop those positions "
                "from the loss afterwards"
            ) from None
        raise


def test_value(learner: Any, device: torch.device) -> None:
    """equals F.cross_entropy(logits.transpose(1, 2), target, label_smoothing=eps)"""
    torch.manual_seed(0)
    for b, t, v, eps, dtype, padding in CASES:
        logits, target = _inputs(b, t, v, dtype, padding, device)
        got = _call(learner, logits, target, eps)
        expected = _reference(logits, target, eps)
        value = plain(got, "smoothed_ce(logits, target, eps)")
        assert_close(
            value,
            expected,
            what="smoothed_ce(logits, target, eps)",
            inputs=_describe(b, t, v, eps, dtype, padding),
            hint=_diagnosis(logits, target, eps, value),
            **(F32 if dtype == torch.float32 else {}),
        )


def test_non_contiguous(learner: Any, remote: Remote, device: torch.device) -> None:
    """works on non-contiguous logits (a (T, B, V) output transposed to (B, T, V))"""
    torch.manual_seed(4)
    b, t, v, eps = 3, 5, 8, 0.1
    logits, target = _inputs(b, t, v, torch.float32, "tail", device)
    seq_first = logits.transpose(0, 1).contiguous()  # (T, B, V), as a seq-first model gives
    theirs = remote.eval("x.transpose(0, 1)", x=seq_first)  # made there: layout does not travel
    assert_close(
        _call(learner, theirs, target, eps),
        _reference(logits, target, eps),
        what="smoothed_ce(logits, target, eps)",
        inputs=_describe(b, t, v, eps, torch.float32, "tail")
        + ", logits a transposed (non-contiguous) view",
        hint="use reshape (or work on (B, T, V) directly), not view, which fails or scrambles "
        "non-contiguous tensors",
        **F32,
    )


def test_gradient(learner: Any, remote: Remote, device: torch.device) -> None:
    """its gradient with respect to logits equals torch's, and is 0 at padded positions"""
    torch.manual_seed(1)
    for b, t, v, eps, _, padding in CASES[:4]:
        logits, target = _inputs(b, t, v, torch.float64, padding, device)
        leaf = remote.tensor(logits.clone().requires_grad_())
        _call(learner, leaf, target, eps).backward()
        grad = leaf.grad
        assert grad is not None, (
            "logits.grad is None after smoothed_ce(logits, target, eps).backward(): the "
            "result must be computed from logits with differentiable torch ops"
        )
        expected_leaf = logits.clone().requires_grad_()
        _reference(expected_leaf, target, eps).backward()
        assert expected_leaf.grad is not None
        got = plain(grad, "logits.grad")
        padded = (target == IGNORE).unsqueeze(-1).expand_as(got)
        hint = ""
        if bool((got[padded] != 0).any()):
            hint = (
                "padded positions got a gradient: they must not take part in the loss at all, "
                "so their logits get exactly 0"
            )
        assert_close(
            got,
            expected_leaf.grad,
            what="logits.grad after smoothed_ce(logits, target, eps).backward()",
            inputs=_describe(b, t, v, eps, torch.float64, padding),
            hint=hint,
        )


def test_padding_ignored(learner: Any, device: torch.device) -> None:
    """logits at padded positions do not change the loss"""
    torch.manual_seed(2)
    b, t, v, eps, dtype, padding = 3, 4, 6, 0.1, torch.float64, "tail"
    logits, target = _inputs(b, t, v, dtype, padding, device)
    before = plain(_call(learner, logits, target, eps), "smoothed_ce(logits, target, eps)")
    for fill in (40.0, -40.0):
        other = logits.clone()
        other[target == IGNORE] = fill * torch.linspace(-1, 1, v, dtype=dtype, device=device)
        assert_close(
            _call(learner, other, target, eps),
            before,
            what="smoothed_ce(logits, target, eps) after changing the logits of padded positions",
            inputs=_describe(b, t, v, eps, dtype, padding)
            + f", padded logits replaced by values up to {abs(fill):g}; expected: the value "
            "your smoothed_ce gave before the change",
            hint="padded positions must not take part in the loss at all: not in the sum, not "
            "in the count",
        )


def test_inputs_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """logits and target are left unchanged"""
    torch.manual_seed(3)
    b, t, v, eps, dtype, padding = 2, 5, 7, 0.1, torch.float32, "tail"
    logits, target = _inputs(b, t, v, dtype, padding, device)
    theirs_logits, theirs_target = remote.tensor(logits), remote.tensor(target)
    _call(learner, theirs_logits, theirs_target, eps)
    after_logits, after_target = remote.value(
        remote.eval("(a, b)", a=theirs_logits, b=theirs_target)
    )
    changed = int((after_target != target).sum())
    assert changed == 0, (
        f"smoothed_ce changed {changed} entries of the caller's target in place "
        f"({_describe(b, t, v, eps, dtype, padding)}): the -100 entries were overwritten. "
        "Replace them in a new tensor (target.masked_fill(~valid, 0), not target[~valid] = 0)"
    )
    assert torch.equal(after_logits, logits), (
        f"smoothed_ce changed the caller's logits in place "
        f"({_describe(b, t, v, eps, dtype, padding)}): compute new tensors instead (log_softmax, "
        "not log_softmax_ or an in-place fill)"
    )
