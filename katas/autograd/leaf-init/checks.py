"""Hidden checks for leaf-init: raw weights created and updated in place, as leaves."""

import math
from typing import Any

import torch

from trainer.checks import Remote, assert_close, forbid, plain, same_device, type_name

LEAF_ERROR = "leaf Variable that requires grad is being used in an in-place operation"
SHAPES = [(1, 1), (5, 3), (48, 64)]  # (n_in, n_out)


def _explain_leaf_error(exc: RuntimeError, where: str) -> AssertionError:
    if LEAF_ERROR not in str(exc):
        raise exc
    return AssertionError(
        f"{where} raised 'a leaf Variable that requires grad is being used in an in-place "
        "operation': autograd would have to record the in-place change as part of the graph. "
        "Setting values is not part of the model's computation: do it inside torch.no_grad()"
    )


def _init(learner: Any, n_in: int, n_out: int, device: torch.device) -> Any:
    try:
        params = learner.init_params(n_in, n_out, device=device)
    except RuntimeError as exc:
        raise _explain_leaf_error(exc, f"init_params({n_in}, {n_out})") from None
    assert isinstance(params, tuple) and len(params) == 2, (
        f"init_params({n_in}, {n_out}) returned {type_name(params)}, expected a tuple "
        "(weight, bias)"
    )
    return params


def _step(learner: Any, params: list[Any], lr: float) -> None:
    try:
        learner.sgd_step_(params, lr)
    except RuntimeError as exc:
        raise _explain_leaf_error(exc, "sgd_step_") from None


def _leaves(device: torch.device, seed: int) -> list[torch.Tensor]:
    torch.manual_seed(seed)
    weight = (torch.randn(3, 5) * 0.7).to(device).requires_grad_()
    bias = (torch.randn(3) * 0.2).to(device).requires_grad_()
    return [weight, bias]


def _theirs(remote: Remote, leaves: list[torch.Tensor]) -> list[Any]:
    """Copies of the leaves in the learner process (still leaves that require grad), where
    the learner's sgd_step_ can change them and their .grad."""
    return [remote.tensor(leaf.detach().clone().requires_grad_()) for leaf in leaves]


def _loss(params: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    weight, bias = params
    return (torch.tanh(x @ weight.T + bias) - y).pow(2).mean()


def _batch(device: torch.device, rows: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    return (torch.randn(rows, 5) * 1.5).to(device), torch.randn(rows, 3).to(device)


def test_init_leaves(learner: Any, device: torch.device) -> None:
    """init_params returns float32 leaf tensors that require grad"""
    for n_in, n_out in SHAPES:
        call = f"init_params({n_in}, {n_out})"
        for name, t, shape in zip(
            ("weight", "bias"),
            _init(learner, n_in, n_out, device),
            [(n_out, n_in), (n_out,)],
            strict=True,
        ):
            value = plain(t, f"{name} from {call}")
            assert tuple(value.shape) == shape and value.dtype == torch.float32, (
                f"{name} from {call} has shape {tuple(value.shape)} and dtype {value.dtype}, "
                f"expected {shape} and torch.float32"
            )
            assert same_device(value.device, device), (
                f"{name} from {call} is on {value.device}, expected {device} (the device argument)"
            )
            assert t.requires_grad, (
                f"{name} from {call} does not require grad, so backward() never computes its "
                "gradient. Create it with requires_grad=True (and fill it under "
                "torch.no_grad()), or call .requires_grad_() once it is filled"
            )
            grad_fn = t.grad_fn
            assert grad_fn is None and t.is_leaf, (
                f"{name} from {call} has grad_fn={type_name(grad_fn)}: it was computed "
                "from another tensor, so it is not a leaf, and backward() will not fill its "
                ".grad. Fill the tensor you created in place, under torch.no_grad(), instead "
                "of building a new one from it"
            )


def test_init_device(learner: Any, device: torch.device) -> None:
    """init_params puts weight and bias on the device it is given"""
    # meta tensors carry a device but no values: on a machine without a GPU they show
    # tensors made on the CPU whatever the device argument says
    for where in (device, torch.device("meta")):
        for n_in, n_out in SHAPES[:2]:
            call = f"init_params({n_in}, {n_out}, device={str(where)!r})"
            for name, t in zip(("weight", "bias"), _init(learner, n_in, n_out, where), strict=True):
                got = t.device
                assert same_device(got, where), (
                    f"{name} from {call} is on {got}, expected {where}: torch.rand, "
                    "torch.zeros and torch.empty allocate on the CPU unless given "
                    "device=device, and .to(device) afterwards returns a new tensor, which "
                    "is not a leaf if the original required grad"
                )


def test_init_values(learner: Any, remote: Remote, device: torch.device) -> None:
    """init_params draws weight from U(-1/sqrt(n_in), 1/sqrt(n_in)) and zeroes bias"""
    remote.torch.manual_seed(0)  # the learner's draws
    for n_in, n_out in SHAPES:
        call = f"init_params({n_in}, {n_out})"
        weight, bias = (plain(t).cpu() for t in _init(learner, n_in, n_out, device))
        bound = 1 / math.sqrt(n_in)
        assert torch.equal(bias, torch.zeros(n_out)), (
            f"bias from {call} is not all zeros (max |bias| = {bias.abs().max():.4g})"
        )
        assert bool(weight.abs().max() <= bound), (
            f"weight from {call} has values up to |{weight.abs().max():.4g}|, outside "
            f"U(-{bound:.4g}, {bound:.4g}) (bound = 1/sqrt(n_in))"
        )
        if weight.numel() < 1000:
            continue
        # a large weight: the spread must look like the uniform distribution
        lo, hi, std = float(weight.min()), float(weight.max()), float(weight.std())
        want = bound / math.sqrt(3)
        assert lo < -0.9 * bound and hi > 0.9 * bound and abs(std - want) < 0.1 * want, (
            f"weight from {call} ranges over [{lo:.4g}, {hi:.4g}] with std {std:.4g}; "
            f"U(-{bound:.4g}, {bound:.4g}) fills that whole range, with std {want:.4g}"
        )


def test_step_in_place(learner: Any, remote: Remote, device: torch.device) -> None:
    """sgd_step_ moves the caller's tensors by -lr * grad"""
    leaves = _leaves(device, 1)
    _loss(leaves, *_batch(device)).backward()
    before = [p.detach().clone() for p in leaves]
    grads = [plain(p.grad).clone() for p in leaves]
    params = _theirs(remote, leaves)
    for p, g in zip(params, grads, strict=True):
        p.grad = g  # the gradient computed here, set on the learner's copy
    _step(learner, params, 0.3)
    for name, p, old, g in zip(("weight", "bias"), params, before, grads, strict=True):
        value = plain(p, name)
        assert not torch.equal(value, old), (
            f"sgd_step_ left the caller's {name} unchanged: assigning p = p - lr * p.grad "
            "only rebinds a local name. Change the tensor itself, in place (p -= ..., "
            "p.sub_(...)), under torch.no_grad()"
        )
        assert_close(value, old - 0.3 * g, what=f"{name} after sgd_step_(params, lr=0.3)")


def test_step_keeps_leaves(learner: Any, remote: Remote, device: torch.device) -> None:
    """after sgd_step_, the tensors are still leaves that require grad"""
    leaves = _leaves(device, 2)
    _loss(leaves, *_batch(device)).backward()
    params = _theirs(remote, leaves)
    for p, leaf in zip(params, leaves, strict=True):
        p.grad = plain(leaf.grad)
    _step(learner, params, 0.1)
    for name, p in zip(("weight", "bias"), params, strict=True):
        assert p.requires_grad, (
            f"after sgd_step_, {name}.requires_grad is False: the next backward() will not "
            "compute its gradient. Don't switch requires_grad off to get around the error; "
            "update under torch.no_grad()"
        )
        grad_fn = p.grad_fn
        assert p.is_leaf and grad_fn is None, (
            f"after sgd_step_, {name} has grad_fn={type_name(grad_fn)}: the update was "
            "recorded by autograd, so it is no longer a leaf. Update under torch.no_grad()"
        )


def test_step_clears_grad(learner: Any, remote: Remote, device: torch.device) -> None:
    """two sgd_step_ calls in a row each use only their own loss's gradient"""
    leaves = _leaves(device, 3)
    batches = [_batch(device), _batch(device, rows=1)]
    twins = [p.detach().clone().requires_grad_() for p in leaves]
    summed = [p.detach().clone() for p in leaves]  # what steps on accumulated grads give
    # the learner's copies, and their loss's backward (which adds into .grad) where they are
    params = _theirs(remote, leaves)
    their_loss = remote.define(_loss)
    for x, y in batches:
        grads = torch.autograd.grad(_loss(twins, x, y), twins)
        with torch.no_grad():
            for twin, g in zip(twins, grads, strict=True):
                twin -= 0.2 * g
        assert all(p.requires_grad for p in params), (
            "after sgd_step_, the tensors no longer require grad, so the next backward() "
            "computes nothing for them: update under torch.no_grad() instead of switching "
            "requires_grad off"
        )
        their_loss(params, x, y).backward()
        stale = [
            plain(p.grad, f"{name}.grad")
            for name, p in zip(("weight", "bias"), params, strict=True)
        ]
        _step(learner, params, 0.2)
        with torch.no_grad():
            for s, g in zip(summed, stale, strict=True):
                s -= 0.2 * g
    for name, p, twin, acc in zip(("weight", "bias"), params, twins, summed, strict=True):
        value = plain(p, name)
        accumulated = torch.allclose(value, acc, rtol=1e-5, atol=1e-6)
        assert_close(
            value,
            twin.detach(),
            what=f"{name} after two steps",
            inputs="two different batches, lr=0.2",
            rtol=1e-5,
            atol=1e-6,
            hint=(
                "the second step used the sum of both steps' gradients: backward() adds into "
                ".grad, so clear it after each update (p.grad = None or p.grad.zero_())"
                if accumulated
                else ""
            ),
        )


def test_autograd_sees_updates(learner: Any, remote: Remote, device: torch.device) -> None:
    """autograd still sees the updates (no .data)"""
    forbid(
        learner,
        ".data",
        why="Changing p.data hides the change from autograd: a graph that saved the old "
        "values then silently computes wrong gradients. Use torch.no_grad() instead",
    )
    leaves = _leaves(device, 4)
    before = leaves[0].detach().clone()
    # the graph is built where the learner's update happens: in the learner process
    params = _theirs(remote, leaves)
    x = _batch(device)[0].requires_grad_()  # so the graph saves the weights themselves
    loss = remote.define(_loss)(params, remote.tensor(x), torch.zeros(6, 3, device=device))
    loss.backward(retain_graph=True)
    _step(learner, params, 0.1)
    assert not torch.equal(plain(params[0], "weight"), before), (
        "sgd_step_ did not change the caller's weight at all, so there is no update for "
        "autograd to see: change each tensor in place, under torch.no_grad()"
    )
    try:
        loss.backward()
    except RuntimeError as exc:
        if "modified by an inplace operation" in str(exc):
            return  # autograd noticed that the saved weights changed: as it should
        raise
    raise AssertionError(
        "after sgd_step_, a backward pass through a graph that saved the old weights ran "
        "without an error, using the new values: the update was hidden from autograd's "
        "in-place checks. Update the tensors themselves under torch.no_grad(), not through "
        ".data"
    )
