"""Hidden checks for clip-total-norm: ``clip_(params, max_norm)`` scales every gradient by one
factor so their total L2 norm is at most max_norm, and returns the norm before clipping."""

import math
from typing import Any

import torch
from torch import nn

from trainer.checks import Remote, assert_close, plain

# float32 sums in another order differ by a few ulps; a 1e-6 in the denominator or not, by
# about 1e-7 relative
TOL = {"rtol": 1e-5, "atol": 1e-7}


class _Case:
    """Gradients to clip: their shapes (None for a parameter without a gradient), dtype,
    size and layout, and the limit."""

    def __init__(
        self,
        shapes: list[tuple[int, ...] | None],
        dtype: torch.dtype,
        scale: float,
        max_norm: float,
        channels_last: tuple[int, ...] = (),
    ) -> None:
        self.shapes, self.dtype, self.max_norm = shapes, dtype, max_norm
        self.channels_last = channels_last
        self.grads = [
            None if shape is None else torch.randn(shape, dtype=dtype) * scale + scale / 4
            for shape in shapes
        ]
        # the parameters' own values, which clipping must not read
        self.values = [torch.randn((2,) if s is None else s, dtype=dtype) for s in shapes]

    def on(self, device: torch.device) -> "_Case":
        self.grads = [None if g is None else g.to(device) for g in self.grads]
        self.values = [v.to(device) for v in self.values]
        return self

    def describe(self) -> str:
        shapes = ", ".join(
            "no grad"
            if s is None
            else str(tuple(s)) + (" in channels_last" if i in self.channels_last else "")
            for i, s in enumerate(self.shapes)
        )
        return f"grads of shapes {shapes}, {self.dtype}, max_norm={self.max_norm}"

    def reference(self) -> tuple[torch.Tensor, list[torch.Tensor | None]]:
        """clip_grad_norm_ on copies of the gradients: the total norm and the clipped grads."""
        params = []
        for value, grad in zip(self.values, self.grads, strict=True):
            param = nn.Parameter(value.clone())
            param.grad = None if grad is None else grad.clone()
            params.append(param)
        total = torch.nn.utils.clip_grad_norm_(params, self.max_norm)
        return total, [p.grad for p in params]


def _params(
    values: list[torch.Tensor], grads: list[torch.Tensor | None], channels_last: list[int]
) -> list[nn.Parameter]:
    """Parameters with these .grad, 4-dim ones in channels_last layout where listed (defined
    in the learner process: layout does not travel)."""
    params = []
    for i, (value, grad) in enumerate(zip(values, grads, strict=True)):
        layout = torch.channels_last if i in channels_last else torch.contiguous_format
        param = nn.Parameter(value.contiguous(memory_format=layout))
        if grad is not None:
            param.grad = grad.contiguous(memory_format=layout)
        params.append(param)
    return params


def _norm(tensors: list[torch.Tensor]) -> float:
    return math.sqrt(sum(float(t.double().pow(2).sum()) for t in tensors))


class _Clipped:
    """clip_ called on a case's parameters in the learner process, and what came back."""

    def __init__(self, learner: Any, remote: Remote, case: _Case, as_generator: bool) -> None:
        params = remote.define(_params)(case.values, case.grads, list(case.channels_last))
        old = remote.eval("[p.grad for p in params]", params=params)  # the .grad objects
        argument = (
            remote.eval("nn.ParameterList(params).parameters()", params=params)
            if as_generator
            else params
        )
        self.returned = learner.clip_(argument, case.max_norm)
        self.grads, self.old = remote.fetch(
            "([p.grad for p in params], old)", params=params, old=old
        )


def _check_total(got: Any, case: _Case, expected: torch.Tensor, how: str) -> None:
    what = f"the norm clip_ returned{how}"
    try:
        value = plain(got, what)
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}: return the total norm as a 0-dim tensor, as clip_grad_norm_ does (not "
            "a Python number)"
        ) from None
    hint = ""
    present = [g for g in case.grads if g is not None]
    if value.numel() == 1:
        v = float(value)
        if math.isclose(v, sum(_norm([g]) for g in present), rel_tol=1e-5):
            hint = (
                "that is the sum of the per-tensor norms. The total L2 norm is the square "
                "root of the sum of squares: the norm of the per-tensor norms"
            )
        elif float(expected) > case.max_norm and math.isclose(v, case.max_norm, rel_tol=1e-4):
            hint = "that is the norm after clipping: return the norm from before clipping"
    assert_close(
        value,
        expected,
        what=what,
        inputs=case.describe(),
        hint=hint or "a 0-dim tensor, the L2 norm of all gradients together, before clipping",
        **TOL,
    )


def _check_grads(clipped: _Clipped, case: _Case, expected: list[Any], how: str) -> None:
    present = [g for g in case.grads if g is not None]
    total = _norm(present)
    for i, (got, want) in enumerate(zip(clipped.grads, expected, strict=True)):
        name = f"params[{i}].grad{how}"
        if want is None:
            assert got is None, (
                f"{name} is a tensor after clip_, expected None: that parameter had no "
                f"gradient ({case.describe()}); skip it and leave its .grad alone"
            )
            continue
        assert got is not None, f"{name} is None after clip_, expected a gradient"
        hint = ""
        ratio = _norm([plain(got)]) / _norm([case.grads[i]])
        if total > case.max_norm and math.isclose(
            _norm([plain(got)]), min(_norm([case.grads[i]]), case.max_norm), rel_tol=1e-4
        ):
            hint = (
                "each tensor was clipped to max_norm on its own. Clipping by the total norm "
                "scales every gradient by the same factor, max_norm / total_norm"
            )
        elif total > case.max_norm and math.isclose(
            ratio, case.max_norm / sum(_norm([g]) for g in present), rel_tol=1e-4
        ):
            hint = (
                "every gradient was scaled by max_norm / (sum of the per-tensor norms). The "
                "total norm is the norm of the per-tensor norms, not their sum"
            )
        elif total <= case.max_norm and ratio > 1 + 1e-6:
            hint = (
                f"this gradient was scaled up by {ratio:.4g}, though the total norm {total:.4g} "
                "is under max_norm: clamp the factor at 1"
            )
        elif total > case.max_norm and math.isclose(ratio, 1.0, rel_tol=1e-9):
            hint = f"this gradient was not clipped, though the total norm {total:.4g} is over"
        assert_close(got, want, what=name, inputs=case.describe(), hint=hint, **TOL)


def _cases(device: torch.device) -> list[_Case]:
    torch.manual_seed(0)
    return [
        _Case([(3, 5), (), (7,), (2, 1, 4)], torch.float32, 2.0, 1.5).on(device),
        _Case([(6,), (1,)], torch.float64, 0.8, 0.25).on(device),
        _Case([(1,)], torch.float64, 3.0, 0.5).on(device),
    ]


def test_total_norm(learner: Any, remote: Remote, device: torch.device) -> None:
    """returns the L2 norm of all gradients together, from before clipping"""
    for case in _cases(device):
        expected, _ = case.reference()
        _check_total(_Clipped(learner, remote, case, False).returned, case, expected, "")


def test_clips_together(learner: Any, remote: Remote, device: torch.device) -> None:
    """gradients over the limit are scaled by one common factor, to a total of max_norm"""
    for case in _cases(device):
        _, expected = case.reference()
        _check_grads(_Clipped(learner, remote, case, False), case, expected, "")


def test_under_limit_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """gradients under the limit stay bitwise unchanged"""
    torch.manual_seed(1)
    for case in (
        _Case([(4, 3), (), (5,)], torch.float32, 0.1, 3.0).on(device),
        _Case([(2, 6)], torch.float64, 0.05, 1.0).on(device),
    ):
        clipped = _Clipped(learner, remote, case, False)
        expected, _ = case.reference()
        _check_total(clipped.returned, case, expected, "")
        total = _norm([g for g in case.grads if g is not None])
        for i, (got, before) in enumerate(zip(clipped.grads, case.grads, strict=True)):
            got = plain(got, f"params[{i}].grad")
            changed = (got != before).sum().item()
            ratio = _norm([got]) / _norm([before])
            assert changed == 0, (
                f"params[{i}].grad changed in {changed} of {got.numel()} values, expected it "
                f"bitwise unchanged: the total norm {total:.4g} is under max_norm="
                f"{case.max_norm} ({case.describe()}). "
                + (
                    f"It was scaled by {ratio:.4g}: max_norm / total is above 1 here, and "
                    "clipping must never scale gradients up. Clamp the factor at 1"
                    if ratio > 1 + 1e-6
                    else "Leave gradients under the limit alone (multiplying by exactly 1.0 "
                    "is fine)"
                )
            )


def test_none_grads_skipped(learner: Any, remote: Remote, device: torch.device) -> None:
    """parameters without a gradient are skipped"""
    torch.manual_seed(2)
    for case in (
        _Case([(3, 2), None, (5,), ()], torch.float32, 1.5, 0.7).on(device),
        _Case([None, (4,)], torch.float64, 0.3, 5.0).on(device),
    ):
        clipped = _Clipped(learner, remote, case, False)
        expected, grads = case.reference()
        _check_total(clipped.returned, case, expected, "")
        _check_grads(clipped, case, grads, "")


def test_generator(learner: Any, remote: Remote, device: torch.device) -> None:
    """works when params is a generator, such as model.parameters()"""
    torch.manual_seed(3)
    case = _Case([(5, 2), (2,), ()], torch.float32, 1.2, 0.9).on(device)
    clipped = _Clipped(learner, remote, case, True)
    expected, grads = case.reference()
    how = " (params passed as module.parameters(), a generator)"
    _check_total(clipped.returned, case, expected, how)
    for i, (got, before) in enumerate(zip(clipped.grads, case.grads, strict=True)):
        assert not torch.equal(plain(got), before), (
            f"params[{i}].grad was not clipped when params was a generator (the norm "
            f"{float(expected):.4g} is above max_norm={case.max_norm}): a generator such as "
            "model.parameters() is empty the second time you iterate it. Put the gradients "
            "in a list in one pass, then use the list"
        )
    _check_grads(clipped, case, grads, how)


def test_in_place(learner: Any, remote: Remote, device: torch.device) -> None:
    """the .grad tensors themselves are scaled, in place"""
    torch.manual_seed(4)
    case = _Case([(4, 2), (3,)], torch.float64, 1.0, 0.5).on(device)
    clipped = _Clipped(learner, remote, case, False)
    _, grads = case.reference()
    for i, (old, want) in enumerate(zip(clipped.old, grads, strict=True)):
        assert_close(
            old,
            want,
            what=f"the tensor that was params[{i}].grad before clip_",
            inputs=case.describe(),
            hint="clip_ must scale each .grad in place (grad.mul_(factor)): assigning a new "
            "tensor to p.grad leaves the tensor other code holds (DDP's gradient buckets, "
            "a hook's reference) unclipped",
            **TOL,
        )


def test_non_contiguous(learner: Any, remote: Remote, device: torch.device) -> None:
    """works on non-contiguous gradients (channels_last convolution weights)"""
    torch.manual_seed(5)
    case = _Case([(4, 3, 2, 5), (4,), (6, 4)], torch.float32, 0.7, 1.0, channels_last=(0,))
    case.on(device)
    clipped = _Clipped(learner, remote, case, False)
    expected, grads = case.reference()
    _check_total(clipped.returned, case, expected, "")
    _check_grads(clipped, case, grads, "")
