"""Hidden checks for compare-floats: ``matches(got, expected) -> bool`` compares shape and dtype
strictly and values with the dtype's tolerance, NaN matching NaN."""

from collections.abc import Callable
from typing import Any

import torch

from trainer.checks import Remote, plain, type_name

INF, NAN = float("inf"), float("nan")
ASSERT_CLOSE = (
    "torch.testing.assert_close(got, expected, equal_nan=True) makes these decisions; "
    "return False when it raises an AssertionError"
)


# torch.testing's default (rtol, atol) per dtype; other dtypes must be equal
TOLERANCES = {
    torch.float16: (1e-3, 1e-5),
    torch.bfloat16: (1.6e-2, 1e-5),
    torch.float32: (1.3e-6, 1e-5),
    torch.float64: (1e-7, 1e-7),
}


def _oracle(got: torch.Tensor, expected: torch.Tensor) -> bool:
    """The judge's own answer (torch.testing.assert_close's rule; calling it here would cost
    a slow first import)."""
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return False
    rtol, atol = TOLERANCES.get(got.dtype, (0.0, 0.0))
    return bool(torch.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True).all())


def _describe(t: torch.Tensor) -> str:
    shape = tuple(t.shape)
    if t.numel() <= 4:
        values = ", ".join(f"{v:.9g}" for v in t.double().reshape(-1).tolist())
        return f"{str(t.dtype).removeprefix('torch.')} [{values}] of shape {shape}"
    return f"{str(t.dtype).removeprefix('torch.')} of shape {shape}"


def _answer(learner: Any, got: torch.Tensor, expected: torch.Tensor, case: str) -> object:
    """matches(got, expected) as the learner's code returns it; raising is a wrong answer."""
    try:
        return learner.matches(got, expected)
    except Exception as exc:  # the learner's exception: name it
        name = getattr(exc, "short_type", type(exc).__name__)
        raise AssertionError(
            f"matches(got, expected) raised {name} for {case} ({_describe(got)} against "
            f"{_describe(expected)}): {str(exc).splitlines()[0]}. A test helper must return "
            f"False for a mismatch, not crash. {ASSERT_CLOSE}"
        ) from None


def _truth(learner: Any, got: torch.Tensor, expected: torch.Tensor, case: str) -> bool:
    """The answer as a bool, whatever type it came in (the type has a check of its own)."""
    answer = _answer(learner, got, expected, case)
    if isinstance(answer, bool):
        return answer
    value = plain(answer, "matches(got, expected)")
    assert value.numel() == 1, (
        f"matches(got, expected) for {case} returned a tensor of shape {tuple(value.shape)}, "
        "expected one True or False for the whole comparison"
    )
    return bool(value)


def _expect(
    learner: Any, got: torch.Tensor, expected: torch.Tensor, want: bool, case: str, why: str
) -> None:
    if _oracle(got, expected) != want:  # the author's mistake, reported as a broken check
        raise RuntimeError(f"the tolerance rule disagrees with the check on {case}")
    answer = _truth(learner, got, expected, case)
    assert answer == want, (
        f"matches(got, expected) returned {answer} for {case}: got {_describe(got)}, expected "
        f"{_describe(expected)}; the answer should be {want}. {why}"
    )


def _differing(make: Callable[[int], tuple[torch.Tensor, torch.Tensor]]) -> tuple[Any, ...]:
    """The first seed's pair whose values differ in the last bits (most seeds do)."""
    pair = make(0)
    for seed in range(40):
        pair = make(seed)
        if not torch.equal(*pair):
            break
    return pair


def _chunked(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A fused kernel's row sums, in chunks of 1000, against x.sum(dim=1)."""
    torch.manual_seed(seed)
    x = torch.randn(3, 30_000) * (torch.randn(3, 30_000) * 2).exp() + 0.3
    total = torch.zeros(3)
    for chunk in x.split(1000, dim=1):
        total = total + chunk.sum(dim=1)
    return total, x.sum(dim=1)


def _threads(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One sum, computed with 1 and with 2 threads: the halves are added in another order."""
    torch.manual_seed(seed)
    x = torch.randn(100_000) * (torch.randn(100_000) * 2).exp() + 0.3
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = x.sum()
        torch.set_num_threads(2)
        two = x.sum()
    finally:
        torch.set_num_threads(before)
    return one, two


def test_summation_order(learner: Any, device: torch.device) -> None:
    """True for sums computed in another order (chunks, threads): equal up to rounding"""
    why = (
        "Both are right: floating-point addition rounds at every step, so summing in "
        "another order changes the last bits. Compare values with a tolerance, never "
        "bitwise (torch.equal, ==)"
    )
    for name, make in (
        ("chunked float32 row sums", _chunked),
        ("a sum on 1 and 2 threads", _threads),
    ):
        got, expected = _differing(make)
        _expect(learner, got.to(device), expected.to(device), True, name, why)
    torch.manual_seed(5)
    x = torch.randn(4, 1000, dtype=torch.float64)
    chunks = x[:, :500].sum(dim=1) + x[:, 500:].sum(dim=1)
    _expect(learner, chunks.to(device), x.sum(dim=1).to(device), True, "float64 sums", why)


def _half(dtype: torch.dtype) -> Callable[[int], tuple[torch.Tensor, torch.Tensor]]:
    def make(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(a + b) + c rounded twice in half precision, against the sum rounded once."""
        torch.manual_seed(seed)
        a, b, c = [(torch.rand(40, dtype=torch.float64) * 3 + 1).to(dtype) for _ in range(3)]
        return (a + b) + c, (a.double() + b.double() + c.double()).to(dtype)

    return make


def test_half_precision(learner: Any, device: torch.device) -> None:
    """True for float16 and bfloat16 results one rounding step apart"""
    for dtype in (torch.float16, torch.bfloat16):
        got, expected = _differing(_half(dtype))
        rtol = {torch.float16: "1e-3", torch.bfloat16: "1.6e-2"}[dtype]
        _expect(
            learner,
            got.to(device),
            expected.to(device),
            True,
            f"{str(dtype).removeprefix('torch.')} sums that differ by one rounding step",
            f"Half precision keeps about 3 significant digits, so its tolerance is relative "
            f"(rtol {rtol}): a fixed atol such as 1e-6 rejects every half-precision result "
            "that was not computed in exactly the reference's order",
        )


def test_shape_and_dtype(learner: Any, device: torch.device) -> None:
    """False when shapes differ (even if they broadcast) or dtypes differ"""
    torch.manual_seed(2)
    x = torch.rand(3, dtype=torch.float64) * 4 + 1
    broadcast = (
        "torch.allclose and == broadcast the two shapes against each other, so a result "
        "with an extra dimension of size 1 (a kernel that forgot to squeeze) passes. "
        "Compare shapes first"
    )
    flat = torch.full((3,), 2.5, dtype=torch.float64)
    cases = [
        (x[None].float(), x.float(), "a (1, 3) result against a (3,) reference", broadcast),
        (
            flat[:, None].float(),
            flat.float(),
            "a (3, 1) result against a (3,) reference, all values 2.5",
            broadcast,
        ),
        (x[:1].float(), x[0].float(), "shape (1,) against shape ()", broadcast),
        (x[:2].float(), x.float(), "shape (2,) against shape (3,)", "The shapes differ"),
        (
            torch.rand(2, 3).to(device),
            torch.rand(3, 2).to(device),
            "shape (2, 3) against shape (3, 2)",
            "The shapes differ",
        ),
        (
            x.clone(),
            x.float(),
            "float64 against float32 with the same values",
            "A kernel that returns float64 where float32 is expected is a bug (it doubles "
            "memory and promotes everything downstream). Compare dtypes first",
        ),
        (
            x.half(),
            x.half().float(),
            "float16 against float32 with the same values",
            "The dtypes differ: compare dtypes first",
        ),
    ]
    for got, expected, case, why in cases:
        _expect(learner, got.to(device), expected.to(device), False, case, why)


def test_tolerance(learner: Any, device: torch.device) -> None:
    """False for errors beyond the dtype's tolerance, such as 1e-4 relative in float32"""
    torch.manual_seed(3)
    cases = [
        (torch.float32, 1e-4, "1.3e-6"),
        (torch.float32, 5e-6, "1.3e-6"),  # within torch.allclose's rtol 1e-5
        (torch.float64, 1e-6, "1e-7"),
        (torch.float16, 1e-2, "1e-3"),
        (torch.float16, 4e-3, "1e-3"),  # within bfloat16's tolerance, not float16's
        (torch.bfloat16, 8e-2, "1.6e-2"),
    ]
    for dtype, error, rtol in cases:
        expected = (torch.rand(5, dtype=torch.float64) * 8 + 10).to(dtype)
        got = expected.clone()
        got[3] = got[3].double() * (1 + error)
        _expect(
            learner,
            got.to(device),
            expected.to(device),
            False,
            f"a relative error of {error:g} in one {str(dtype).removeprefix('torch.')} value",
            f"That is beyond the dtype's tolerance (rtol {rtol}): a real bug must fail. Use "
            "the tolerance of the dtype at hand, torch.testing's default",
        )
    ints = torch.randint(-50, 50, (6,))
    off = ints.clone()
    off[2] += 1
    _expect(
        learner,
        off.to(device),
        ints.to(device),
        False,
        "int64 values off by one",
        "Integer results are exact: they must be equal",
    )
    _expect(learner, ints.to(device), ints.clone().to(device), True, "equal int64 values", "")


def test_nan_and_inf(learner: Any, device: torch.device) -> None:
    """NaN matches NaN in the same place and nothing else; inf must match exactly"""
    torch.manual_seed(4)
    base = torch.rand(4) * 3 + 1
    cases: list[tuple[torch.Tensor, torch.Tensor, bool, str, str]] = []
    for got_at, expected_at, want, case, why in (
        (
            1,
            1,
            True,
            "NaN in the same place in both",
            "A kernel that returns NaN where the reference does (the log of a negative "
            "number, 0/0) agrees with it. torch.allclose and assert_close treat NaN as "
            "unequal to NaN unless equal_nan=True",
        ),
        (1, None, False, "NaN against a number", "A NaN where a number is expected is a bug"),
        (None, 2, False, "a number against NaN", "A number where NaN is expected is a bug"),
        (0, 3, False, "NaN in different places", "The NaNs must be in the same places"),
    ):
        got, expected = base.clone(), base.clone()
        if got_at is not None:
            got[got_at] = NAN
        if expected_at is not None:
            expected[expected_at] = NAN
        cases.append((got, expected, want, case, why))
    for got_value, expected_value, want in (
        (INF, INF, True),
        (-INF, INF, False),
        (3e38, INF, False),
    ):
        got, expected = base.clone(), base.clone()
        got[2], expected[2] = got_value, expected_value
        cases.append(
            (
                got,
                expected,
                want,
                f"{got_value:g} against {expected_value:g}",
                "Infinities must match exactly, sign included",
            )
        )
    for got, expected, want, case, why in cases:
        _expect(learner, got.to(device), expected.to(device), want, case, why)


def test_returns_bool(learner: Any, device: torch.device) -> None:
    """matches returns a Python bool"""
    torch.manual_seed(6)
    x = torch.rand(3, 4).to(device)
    for got, expected, case in ((x, x.clone(), "equal tensors"), (x, x + 1, "different values")):
        answer = _answer(learner, got, expected, case)
        assert isinstance(answer, bool), (
            f"matches(got, expected) for {case} returned a {type_name(answer)}, "
            "expected a Python bool (True or False). A tensor such as torch.isclose(...).all() "
            "keeps its device and raises in `if` when it has more than one element: "
            "convert it with bool(...)"
        )


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Bitwise the same, NaN included."""
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and torch.equal(a.isnan(), b.isnan())
        and torch.equal(a.nan_to_num(0.0), b.nan_to_num(0.0))
    )


def test_inputs_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """matches leaves both tensors unchanged"""
    torch.manual_seed(7)
    got = torch.rand(5, 3) * 2 + 1
    got[1, 2] = NAN
    expected = got.clone()
    expected[0, 1] += 1e-6
    for pair in ((got, expected), (got, got.clone())):
        before = [t.to(device) for t in pair]
        theirs = [remote.tensor(t) for t in before]
        learner.matches(*theirs)
        after = remote.value(tuple(theirs))
        for name, old, new in zip(("got", "expected"), before, after, strict=True):
            assert _same(plain(new, name), old), (
                f"matches(got, expected) changed {name} in place (float32 tensors of shape "
                "(5, 3) with a NaN): a test helper must not alter what it compares; the "
                "test may go on using both tensors. Work on copies, or on masks"
            )
