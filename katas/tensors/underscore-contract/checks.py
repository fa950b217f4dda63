"""Hidden checks for underscore-contract: ``ema_`` works in place, ``ema`` is pure."""

from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain

# (shape, decay): a single number, N >= 2, three dimensions; decay 0 and 1 at the ends
CASES: list[tuple[tuple[int, ...], float]] = [
    ((1,), 0.9),
    ((3, 5), 0.99),
    ((2, 4, 6), 0.5),
    ((7,), 0.0),
    ((4, 3), 1.0),
]
# float32 results from different but correct formulas (mul/add, lerp) differ by a few ulps
F32 = {"rtol": 1e-5, "atol": 1e-6}
FORMULA = "decay * avg + (1 - decay) * x"


def _pair(
    shape: tuple[int, ...], device: torch.device, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    avg = (torch.randn(shape, dtype=dtype) * 2 + 0.5).to(device)
    x = (torch.randn(shape, dtype=dtype) * 3 - 1).to(device)
    return avg, x


def _expected(avg: torch.Tensor, x: torch.Tensor, decay: float) -> torch.Tensor:
    return (decay * avg.double() + (1 - decay) * x.double()).to(avg.dtype)


def _describe(avg: torch.Tensor, decay: float) -> str:
    return f"avg and x of shape {tuple(avg.shape)}, {avg.dtype}, decay={decay}"


def _tolerance(dtype: torch.dtype) -> dict[str, float]:
    return F32 if dtype == torch.float32 else {}


def test_ema_values(learner: Any, device: torch.device) -> None:
    """ema(avg, x, decay) returns decay * avg + (1 - decay) * x"""
    torch.manual_seed(0)
    for i, (shape, decay) in enumerate(CASES):
        dtype = torch.float64 if i % 2 else torch.float32
        avg, x = _pair(shape, device, dtype)
        expected = _expected(avg, x, decay)
        assert_close(
            learner.ema(avg, x, decay),  # copies: changes to them do not reach avg and x
            expected,
            what="ema(avg, x, decay)",
            inputs=_describe(avg, decay),
            hint=f"the weight decay goes to the old average: {FORMULA}",
            **_tolerance(dtype),
        )


def _now(avg: Any, x: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """The values of the learner process's avg and x, now."""
    return plain(avg, "avg"), plain(x, "x")


def test_ema_pure(learner: Any, remote: Remote, device: torch.device) -> None:
    """ema leaves avg and x unchanged and returns a new tensor"""
    torch.manual_seed(1)
    for shape, decay in CASES:
        avg_before, x_before = _pair(shape, device, torch.float32)
        described = _describe(avg_before, decay)
        # made in the learner process, so that what ema does to them can be seen
        avg, x = remote.tensor(avg_before), remote.tensor(x_before)
        out = learner.ema(avg, x, decay)
        avg_after, x_after = _now(avg, x)
        for name, tensor, before in (("avg", avg_after, avg_before), ("x", x_after, x_before)):
            assert torch.equal(tensor, before), (
                f"ema(avg, x, decay) changed {name} ({described}): a function without a "
                "trailing underscore must leave its inputs alone. mul_, add_, +=, *= and "
                ".detach() followed by one of them all write into the caller's tensor"
            )
        assert out is not avg and out is not x, (
            f"ema(avg, x, decay) returned one of its inputs ({described}): it must return "
            "a new tensor"
        )
        plain(out, "ema(avg, x, decay)")
        remote.eval("out.detach().add_(1)", out=out)  # the caller changes the result in place
        avg_after, x_after = _now(avg, x)
        assert torch.equal(avg_after, avg_before) and torch.equal(x_after, x_before), (
            f"writing into the tensor ema(avg, x, decay) returned changed avg or x "
            f"({described}): the result shares their memory; it must be a new tensor"
        )


def test_ema__values(learner: Any, remote: Remote, device: torch.device) -> None:
    """ema_(avg, x, decay) sets avg to decay * avg + (1 - decay) * x and leaves x alone"""
    torch.manual_seed(2)
    for i, (shape, decay) in enumerate(CASES):
        dtype = torch.float64 if i % 2 else torch.float32
        avg_before, x_before = _pair(shape, device, dtype)
        expected = _expected(avg_before, x_before, decay)
        described = _describe(avg_before, decay)
        avg, x = remote.tensor(avg_before), remote.tensor(x_before)  # to see ema_'s writes
        learner.ema_(avg, x, decay)
        avg_after, x_after = _now(avg, x)
        if torch.equal(avg_after, avg_before) and not torch.equal(expected, avg_before):
            hint = (
                "avg did not change at all: assigning to the name avg inside the function "
                "only rebinds a local variable. Write into the tensor itself, with in-place "
                "methods such as mul_ and add_, or avg.copy_(...)"
            )
        else:
            hint = f"avg must become {FORMULA}: decay weights the old average"
        assert_close(
            avg_after,
            expected,
            what="avg after ema_(avg, x, decay)",
            inputs=described,
            hint=hint,
            **_tolerance(dtype),
        )
        assert torch.equal(x_after, x_before), (
            f"ema_(avg, x, decay) changed x ({described}): only avg may change; x is the "
            "live model's weight"
        )


def test_ema__returns_avg(learner: Any, remote: Remote, device: torch.device) -> None:
    """ema_ returns avg itself, as torch's in-place methods do"""
    torch.manual_seed(3)
    for shape, decay in CASES[:3]:
        avg_here, x = _pair(shape, device, torch.float32)
        avg = remote.tensor(avg_here)  # the caller's tensor, in the learner process
        out = learner.ema_(avg, x, decay)
        assert out is avg, (
            f"ema_(avg, x, decay) returned {_kind(out)}, expected avg itself "
            f"({_describe(avg_here, decay)}): in-place methods (add_, mul_, ...) return the "
            "tensor they changed, so calls can be chained and `avg = ema_(avg, x, d)` "
            "stays correct"
        )


def _kind(value: object) -> str:
    if value is None:
        return "None"
    if isinstance(value, torch.Tensor):
        return "a different tensor object"
    # a learner object names its type in _type (its class here is only the proxy's)
    name = str(getattr(value, "_type", "") or type(value).__name__)
    return f"a {name.rpartition('.')[2]}"


def test_ema__writes_memory(learner: Any, remote: Remote, device: torch.device) -> None:
    """ema_ writes into avg's memory: avg._version goes up and a view updates its base"""
    torch.manual_seed(4)
    # EMA weights often live in one flat buffer, each parameter a view of it
    for view, index in (("a row", (2, slice(None))), ("a column", (slice(None), 1))):
        for decay in (0.9, 0.5):
            base_before = (torch.randn(4, 5) * 2 + 0.5).to(device)
            x = (torch.randn(base_before[index].shape) * 3 - 1).to(device)
            described = f"avg = {view} of a (4, 5) tensor base, decay={decay}"
            outside = torch.ones(4, 5, dtype=torch.bool, device=device)
            outside[index] = False
            base = remote.tensor(base_before)  # the view is made in the learner process
            avg = base[index]
            version = avg._version
            learner.ema_(avg, x, decay)
            now = avg._version
            assert now > version, (
                f"avg._version is still {now} after ema_ ({described}): no in-place "
                "operation was recorded on avg. Either avg was never written (`avg = ...` "
                "only rebinds a local name) or its data was swapped behind autograd's back "
                "(`avg.data = ...`). Write into it with in-place ops such as mul_ and add_"
            )
            base_after, avg_after = plain(base, "base"), plain(avg, "avg")
            assert torch.equal(base_after[index], avg_after), (
                f"after ema_, avg and the part of base it views disagree ({described}): avg "
                "no longer shares base's memory. Assigning avg.data or calling avg.set_ points "
                "avg at new memory; write into the existing memory with in-place ops"
            )
            assert torch.equal(base_after[outside], base_before[outside]), (
                f"ema_ changed parts of base outside avg ({described}): only avg's own "
                "elements may change"
            )
