"""Hidden checks for init-order-identity: LoRALinear builds, and its reset keeps its parameters."""

import math
from typing import Any

import torch
import torch.nn.functional as F

from trainer.checks import Remote, assert_close, assert_same_names, plain, same_device, sgd_step
from trainer.errors import LearnerRaised

# (in_features, out_features, rank): rank 1 and an output width of 1 included
SIZES = [(5, 3, 2), (7, 1, 1), (6, 9, 4)]
NAMES = ["base.weight", "base.bias", "lora_a", "lora_b"]
IN_PLACE = (
    "Write the new values into the existing Parameters, in place: nn.init.zeros_(self.lora_b), "
    "nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5)), or .zero_() / .uniform_() inside "
    "torch.no_grad()"
)


def _call(sizes: tuple[int, int, int]) -> str:
    return f"LoRALinear{sizes}"


def _build(learner: Any, sizes: tuple[int, int, int], device: torch.device) -> Any:
    try:
        model = learner.LoRALinear(*sizes)
    except LearnerRaised as exc:
        text = str(exc).rstrip(".")
        if "before Module.__init__() call" in text:
            why = (
                ". Call super().__init__() first: Module.__init__ creates the registries "
                "(_modules, _parameters) that assigning a module or a Parameter writes into"
            )
        elif "leaf Variable" in text:
            why = (
                ". An in-place change to a Parameter (which requires grad) must run under "
                "torch.no_grad(); the nn.init functions do that for you"
            )
        elif isinstance(exc, AttributeError) and "has no attribute" in text:
            why = (
                ". Was it assigned before? If super().__init__() runs twice, the second call "
                "replaces the registries with empty ones and forgets everything registered "
                "before it"
            )
        else:
            why = ""
        raise AssertionError(f"{_call(sizes)} raised {exc.short_type}: {text}{why}") from None
    return model.to(device)


def _named(remote: Remote, model: Any) -> dict[str, Any]:
    """model.named_parameters() as a dict of learner objects (three requests)."""
    found = remote.eval("dict(model.named_parameters())", model=model)
    names = remote.value(remote.eval("list(found)", found=found))
    return dict(zip(names, remote.eval("list(found.values())", found=found), strict=True))


def _values(remote: Remote, params: dict[str, Any]) -> dict[str, torch.Tensor]:
    """plain() of each learner tensor in ``params``, fetched in one request."""
    try:
        fetched = remote.value(remote.eval("list(ps)", ps=list(params.values())))
    except TypeError:  # one is not a plain tensor: plain() names it
        fetched = list(params.values())
    return {name: plain(v, name) for name, v in zip(params, fetched, strict=True)}


def _params(remote: Remote, model: Any, sizes: tuple[int, int, int]) -> dict[str, Any]:
    """The four parameters, by name, after checking the names."""
    found = _named(remote, model)
    assert_same_names(
        found,
        NAMES,
        what=f"{_call(sizes)}.named_parameters()",
        hint="Module.__init__() must run exactly once, before the first assignment: it creates "
        "empty registries, so a second call forgets everything registered before it",
    )
    return found


def _input(shape: tuple[int, ...], device: torch.device) -> torch.Tensor:
    return (torch.randn(shape) * 1.5 - 0.3).to(device)


def test_builds(learner: Any, remote: Remote, device: torch.device) -> None:
    """LoRALinear builds, with parameters base.weight, base.bias, lora_a and lora_b"""
    for sizes in SIZES:
        n_in, n_out, rank = sizes
        found = _params(remote, _build(learner, sizes, device), sizes)
        shapes = remote.value(remote.eval("{n: tuple(p.shape) for n, p in ps.items()}", ps=found))
        expected = {
            "base.weight": (n_out, n_in),
            "base.bias": (n_out,),
            "lora_a": (rank, n_in),
            "lora_b": (n_out, rank),
        }
        for name, shape in expected.items():
            got = tuple(shapes[name])
            assert got == shape, f"{_call(sizes)}: {name} has shape {got}, expected {shape}"


def test_forward(learner: Any, remote: Remote, device: torch.device) -> None:
    """forward returns base(x) + x @ lora_a.T @ lora_b.T"""
    torch.manual_seed(0)
    for sizes, batch in zip(SIZES, [(4,), (1,), (2, 3)], strict=True):
        n_in, n_out, rank = sizes
        model = _build(learner, sizes, device)
        found = _params(remote, model, sizes)
        with remote.torch.no_grad():  # a trained adapter: lora_b is no longer zero
            found["lora_b"].copy_(torch.randn(n_out, rank))
        x = _input((*batch, n_in), device)
        values = _values(remote, {n: found[n] for n in NAMES})
        w, b, a, bb = (values[n] for n in NAMES)
        assert_close(
            model(x),
            F.linear(x, w, b) + (x @ a.T) @ bb.T,
            what=f"{_call(sizes)}(x)",
            inputs=f"x of shape {tuple(x.shape)}, lora_b set to random values",
            rtol=1e-5,
        )


def test_reset_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """reset_parameters() zeroes lora_b, redraws lora_a in ±1/sqrt(in_features), keeps base"""
    torch.manual_seed(1)
    for sizes in SIZES:
        n_in = sizes[0]
        call = _call(sizes)
        model = _build(learner, sizes, device)
        found = _params(remote, model, sizes)
        x = _input((3, n_in), device)
        assert_close(
            model(x),
            plain(model.base(x), f"{call}.base(x)"),
            what=f"a fresh {call}(x)",
            hint="a fresh adapter must change nothing: lora_b starts at zero",
        )
        # as if trained: every value far from its initial range
        shapes = remote.value(remote.eval("[tuple(p.shape) for p in ps]", ps=list(found.values())))
        trained = [(torch.randn(shape) + 10.0).to(device) for shape in shapes]
        with remote.torch.no_grad():
            remote.eval("[p.copy_(v) for p, v in zip(ps, vs)]", ps=list(found.values()), vs=trained)
        base = _values(remote, {n: found[n] for n in ("base.weight", "base.bias")})
        model.reset_parameters()
        found = _named(remote, model)
        assert_same_names(
            found,
            NAMES,
            what=f"{call}.named_parameters() after reset_parameters()",
            hint="the reset re-initialises the values of the existing parameters",
        )
        after = _values(remote, found)
        for name, before in base.items():
            assert torch.equal(after[name], before), (
                f"{call}.reset_parameters() changed {name}: the reset re-initialises the "
                "adapter only, the base layer keeps its (pretrained) weights"
            )
        b = after["lora_b"]
        assert not b.any(), (
            f"after {call}.reset_parameters(), lora_b has {int(b.count_nonzero())} non-zero "
            f"values (max |value| {float(b.abs().max()):.3g}), expected all zeros"
        )
        a = after["lora_a"]
        bound = 1 / math.sqrt(n_in)
        worst = float(a.abs().max())
        assert worst <= bound * (1 + 1e-6), (
            f"after {call}.reset_parameters(), lora_a has a value of magnitude {worst:.4g}, "
            f"expected all within ±1/sqrt(in_features) = ±{bound:.4g} (drawn uniformly)"
        )
        assert a.unique().numel() > 1, (
            f"after {call}.reset_parameters(), every value of lora_a is {float(a.flatten()[0])}: "
            "lora_a must be random. With both factors constant (zero), neither lora_a nor "
            "lora_b ever gets a useful gradient"
        )


def test_reset_uniform(learner: Any, remote: Remote, device: torch.device) -> None:
    """reset_parameters() draws lora_a uniformly over ±1/sqrt(in_features)"""
    sizes = (64, 5, 48)  # 3072 values of lora_a: enough to see the shape of the distribution
    call = _call(sizes)
    model = _build(learner, sizes, device)
    remote.torch.manual_seed(3)
    model.reset_parameters()
    a = _values(remote, {"lora_a": _named(remote, model)["lora_a"]})["lora_a"]
    bound = 1 / math.sqrt(sizes[0])
    assert float(a.abs().max()) <= bound * (1 + 1e-6), (
        f"after {call}.reset_parameters(), lora_a has a value of magnitude "
        f"{float(a.abs().max()):.4g}, expected all within ±1/sqrt(in_features) = ±{bound:.4g}"
    )
    bins = 8  # equal widths over [-bound, bound]: a uniform draw puts 1/8 of the values in each
    counts = torch.histc(a.detach().double().cpu(), bins=bins, min=-bound, max=bound)
    shares = (counts / a.numel()).tolist()
    edges = [round(-bound + 2 * bound * i / bins, 4) for i in range(bins + 1)]
    assert all(abs(share - 1 / bins) <= 0.03 for share in shares), (
        f"after {call}.reset_parameters(), lora_a's {a.numel()} values are not spread uniformly "
        f"over ±{bound:.4g}: the shares in 8 equal bins (edges {edges}) are "
        f"{[round(share, 3) for share in shares]}, expected about {1 / bins} each. Draw them "
        "with nn.init.uniform_(self.lora_a, -bound, bound), or "
        "nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5)), which has that bound"
    )


def _kinds_after_reset(model: Any) -> Any:
    """Each parameter's (dtype, device) after model.reset_parameters(), or the error it raised
    (defined in the learner process)."""
    try:
        model.reset_parameters()
    except Exception as exc:  # reported to the learner
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return {name: (p.dtype, str(p.device)) for name, p in model.named_parameters()}


def test_reset_keeps_dtype_device(learner: Any, remote: Remote, device: torch.device) -> None:
    """reset_parameters() keeps each parameter's dtype and device

    On a CPU, the meta device stands in for a GPU: a reset that puts new CPU tensors into the
    parameters shows there as it would after model.to("cuda").
    """
    sizes = SIZES[0]
    call = _call(sizes)
    for dtype, where in [(torch.float64, str(device)), (torch.float32, "meta")]:
        model = _build(learner, sizes, device).to(device=where, dtype=dtype)
        moved = f"{call}.to({where!r}, {dtype})"
        kinds = remote.define(_kinds_after_reset)(model)
        assert not isinstance(kinds, str), (
            f"{moved}.reset_parameters() raised {kinds.rstrip('.!')}. Re-initialise the "
            "existing tensors in place (nn.init.*_, or .uniform_() / .zero_() under "
            "torch.no_grad()), where they are and in their dtype"
        )
        kinds = remote.value(kinds)
        wrong = {
            name: f"{kind[0]} on {kind[1]}"
            for name, kind in kinds.items()
            if kind[0] != dtype or not same_device(torch.device(kind[1]), torch.device(where))
        }
        assert not wrong, (
            f"after {moved}.reset_parameters(), the parameters are {wrong}, expected {dtype} "
            f"on {where}, where the model was moved: a tensor made anew (torch.empty(...), "
            "torch.zeros(...)) is float32 on the CPU, whatever is assigned its values. "
            "Re-initialise the existing tensors in place (nn.init.*_, or .uniform_() / "
            ".zero_() under torch.no_grad())"
        )


def test_reset_keeps_objects(learner: Any, remote: Remote, device: torch.device) -> None:
    """reset_parameters() keeps the same Parameter objects"""
    for sizes in SIZES:
        model = _build(learner, sizes, device)
        before = _params(remote, model, sizes)
        model.reset_parameters()
        after = _named(remote, model)  # proxies of one learner object are one proxy: `is` holds
        replaced = [n for n in NAMES if after.get(n) is not before[n]]
        one = len(replaced) == 1
        assert not replaced, (
            f"after {_call(sizes)}.reset_parameters(), {', '.join(replaced)} "
            f"{'is a new object' if one else 'are new objects'}: an optimizer (or an EMA copy, "
            "a DDP or FSDP wrapper) built before the reset still holds the old "
            f"{'one' if one else 'ones'}, and trains tensors the model no longer uses. {IN_PLACE}"
        )


def test_optimizer_after_reset(learner: Any, remote: Remote, device: torch.device) -> None:
    """an optimizer built before reset_parameters() still trains the model"""
    torch.manual_seed(2)
    for sizes in SIZES:
        n_in = sizes[0]
        call = _call(sizes)
        model = _build(learner, sizes, device)
        # what torch.optim.SGD(...) would hold
        optimizer_params = remote.eval("list(model.parameters())", model=model)
        model.reset_parameters()
        x = _input((4, n_in), device)
        out = model(x)
        (out * torch.randn_like(plain(out, f"{call}(x)"))).sum().backward()
        found = _named(remote, model)
        found_grads = remote.eval("[p.grad for p in ps]", ps=list(found.values()))
        grads = dict(zip(found, found_grads, strict=True))
        for name, grad in grads.items():
            assert grad is not None, (
                f"{call}: after reset_parameters() and a backward pass, {name}.grad is None: "
                f"{name} is not part of the computation, or does not require grad"
            )
        values = _values(remote, found)
        grad_values = _values(remote, {f"{name}.grad": g for name, g in grads.items()})
        expected = {
            name: values[name].clone() - 0.1 * grad_values[f"{name}.grad"] for name in found
        }
        sgd_step(optimizer_params, lr=0.1)
        stepped = _values(remote, _named(remote, model))
        for name, p in stepped.items():
            assert_close(
                p,
                expected[name],
                what=f"{call}.{name} after reset_parameters() and one SGD step",
                inputs="an optimizer built before the reset",
                rtol=1e-5,
                hint=f"The optimizer still steps the Parameter objects from before the reset. "
                f"{IN_PLACE}",
            )
