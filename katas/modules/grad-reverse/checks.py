"""Hidden checks for grad-reverse: ``reverse_gradient(head, lambd)`` multiplies the gradient
leaving ``head`` towards its input by ``-lambd``, and changes nothing else."""

from typing import Any

import torch
from torch import nn

from trainer.checks import Remote, assert_close, plain, type_name

F64 = torch.float64


class _Dann(nn.Module):
    """Shared features, a task head, and a domain classifier on the same features."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Linear(5, 7), nn.Tanh())
        self.task = nn.Linear(7, 3)
        self.domain = nn.Sequential(nn.Linear(7, 4), nn.ReLU(), nn.Linear(4, 2))


def _backward(
    model: nn.Module, leaf: torch.Tensor, weights: dict[str, torch.Tensor], heads: list[str]
) -> dict[str, Any]:
    """Backward of sum over heads of (head(features(x)) * weight).sum(); "x" and every
    parameter's .grad by name (run in the learner process, beside the learner's hook)."""
    model.zero_grad()
    feats = model.features(leaf)
    loss = sum((getattr(model, head)(feats) * weights[head]).sum() for head in heads)
    loss.backward()
    grads = {"x": leaf.grad}
    grads.update({name: p.grad for name, p in model.named_parameters()})
    return grads


def _pair(remote: Remote, device: torch.device) -> tuple[Any, _Dann]:
    """The model the learner's hook goes on (in the learner process), and an untouched copy
    with the same weights as the reference (here)."""
    ref = _Dann().to(device=device, dtype=F64)
    model = remote.define(_Dann)().to(device=device, dtype=F64)
    model.load_state_dict(dict(ref.state_dict()))
    return model, ref


def _input(n: int, device: torch.device) -> torch.Tensor:
    return (torch.randn(n, 5, dtype=F64) * 1.5 + 0.2).to(device)


def _checked(grads: dict[str, Any], heads: tuple[str, ...]) -> dict[str, torch.Tensor]:
    used = ("x", "features", *heads)
    missing = [name for name, g in grads.items() if g is None and name.split(".")[0] in used]
    assert not missing, f"after backward, these have no gradient: {', '.join(missing)}"
    return {name: plain(g, f"{name}.grad") for name, g in grads.items() if g is not None}


def _grads(
    remote: Remote,
    model: Any,
    x: torch.Tensor,
    weights: dict[str, torch.Tensor],
    heads: tuple[str, ...],
) -> dict[str, torch.Tensor]:
    """The learner-side model's gradients (see _backward), fetched by value."""
    leaf = remote.tensor(x.clone().requires_grad_())
    found = remote.define(_backward)(model, leaf, weights, list(heads))
    try:
        grads = remote.value(found)
    except TypeError:  # not plain data: plain() names what it is
        names = remote.value(remote.eval("list(grads)", grads=found))
        grads = {name: found[name] for name in names}
    return _checked(grads, heads)


def _reference_grads(
    model: _Dann, x: torch.Tensor, weights: dict[str, torch.Tensor], heads: tuple[str, ...]
) -> dict[str, torch.Tensor]:
    """The same gradients of the untouched copy, computed here."""
    return _checked(_backward(model, x.clone().requires_grad_(), weights, list(heads)), heads)


def _weights(n: int, device: torch.device) -> dict[str, torch.Tensor]:
    return {
        "task": torch.randn(n, 3, dtype=F64).to(device),
        "domain": torch.randn(n, 2, dtype=F64).to(device),
    }


def _handle(learner: Any, remote: Remote, model: Any, lambd: float, *, needed: bool = False) -> Any:
    """Apply the learner's reversal; only the check of remove() insists on the handle."""
    handle = learner.reverse_gradient(model.domain, lambd)
    if not needed:
        return handle
    assert remote.eval("callable(getattr(handle, 'remove', None))", handle=handle), (
        f"reverse_gradient(model.domain, {lambd}) returned {type_name(handle)}, expected "
        "the handle of the hook it registered (an object with .remove()), so the reversal can "
        "be switched off"
    )
    return handle


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b)


def test_forward_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """the domain classifier's output is unchanged"""
    torch.manual_seed(0)
    model, ref = _pair(remote, device)
    _handle(learner, remote, model, 0.7)
    for n in (1, 4):
        x = _input(n, device)
        feats = model.features(x)
        assert_close(
            model.domain(feats),
            ref.domain(ref.features(x)),
            what="model.domain(features) after reverse_gradient(model.domain, 0.7)",
            inputs=f"x of shape ({n}, 5)",
            hint="Gradient reversal changes only the backward pass. Changing the forward "
            "output (-lambd * output) does reverse the gradient, but the domain classifier "
            "then predicts the opposite domain, and its loss is computed on wrong predictions",
        )


def test_features_reversed(learner: Any, remote: Remote, device: torch.device) -> None:
    """the domain loss's gradient reaching the features is -lambd times the normal one"""
    torch.manual_seed(1)
    for lambd, n in [(0.3, 1), (2.0, 4)]:
        model, ref = _pair(remote, device)
        _handle(learner, remote, model, lambd)
        for step in range(2):  # the hook must keep working after a first backward
            x, weights = _input(n, device), _weights(n, device)
            got = _grads(remote, model, x, weights, ("domain",))
            normal = _reference_grads(ref, x, weights, ("domain",))
            for name in ("x", "features.0.weight", "features.0.bias"):
                hint = "Multiply the gradient that leaves the domain classifier by -lambd"
                if _same(got[name], normal[name]):
                    hint = "It is not reversed at all: the hook never changed the gradient"
                elif _same(got[name], -normal[name]):
                    hint = "It is negated but not scaled: multiply by -lambd, not by -1"
                elif _same(got[name], lambd * normal[name]):
                    hint = "It is scaled by lambd but not reversed: multiply by -lambd"
                assert_close(
                    got[name],
                    -lambd * normal[name],
                    what=f"{name}.grad from the domain loss (step {step + 1})",
                    inputs=f"reverse_gradient(model.domain, {lambd}), x of shape ({n}, 5)",
                    hint=hint,
                )


def test_head_learns_normally(learner: Any, remote: Remote, device: torch.device) -> None:
    """the domain classifier's own parameters get their normal gradients"""
    torch.manual_seed(2)
    lambd, n = 0.6, 3
    model, ref = _pair(remote, device)
    _handle(learner, remote, model, lambd)
    x, weights = _input(n, device), _weights(n, device)
    got = _grads(remote, model, x, weights, ("domain",))
    normal = _reference_grads(ref, x, weights, ("domain",))
    for name in ("domain.0.weight", "domain.0.bias", "domain.2.weight", "domain.2.bias"):
        assert_close(
            got[name],
            normal[name],
            what=f"{name}.grad",
            inputs=f"reverse_gradient(model.domain, {lambd}), x of shape ({n}, 5)",
            hint="The domain classifier must still learn to tell the domains apart; only the "
            "gradient it sends back to the features is reversed. Change the gradient with "
            "respect to the module's INPUT (grad_input of a full backward hook), not its "
            "output, and not the forward pass. (The deprecated register_backward_hook hands "
            "you the grad_input of the module's last operation, inside the module)",
        )


def test_task_not_reversed(learner: Any, remote: Remote, device: torch.device) -> None:
    """the task loss's gradient into the shared features is not reversed"""
    torch.manual_seed(3)
    lambd, n = 0.5, 4
    model, ref = _pair(remote, device)
    _handle(learner, remote, model, lambd)
    x, weights = _input(n, device), _weights(n, device)
    got = _grads(remote, model, x, weights, ("task", "domain"))
    task = _reference_grads(ref, x, weights, ("task",))
    domain = _reference_grads(ref, x, weights, ("domain",))
    for name in ("x", "features.0.weight"):
        expected = task[name] - lambd * domain[name]
        both = _same(got[name], -lambd * (task[name] + domain[name]))
        assert_close(
            got[name],
            expected,
            what=f"{name}.grad for loss = task_loss + domain_loss",
            inputs=f"reverse_gradient(model.domain, {lambd}), x of shape ({n}, 5)",
            hint=(
                "The task loss's gradient was reversed too. The features tensor feeds both "
                "heads, and a hook on that tensor sees the sum of both gradients; change only "
                "the gradient that leaves the domain classifier"
            )
            if both
            else "Expected task_grad - lambd * domain_grad: only the domain part is reversed",
        )
    assert_close(
        got["task.weight"],
        task["task.weight"],
        what="task.weight.grad",
        inputs=f"reverse_gradient(model.domain, {lambd})",
    )


def test_remove(learner: Any, remote: Remote, device: torch.device) -> None:
    """handle.remove() brings back the normal gradients"""
    torch.manual_seed(4)
    lambd, n = 1.5, 2
    model, ref = _pair(remote, device)
    handle = _handle(learner, remote, model, lambd, needed=True)
    x, weights = _input(n, device), _weights(n, device)
    _grads(remote, model, x, weights, ("domain",))  # one reversed step first
    handle.remove()
    got = _grads(remote, model, x, weights, ("domain",))
    normal = _reference_grads(ref, x, weights, ("domain",))
    for name in ("x", "features.0.weight", "domain.0.weight"):
        assert_close(
            got[name],
            normal[name],
            what=f"{name}.grad after handle.remove()",
            inputs=f"handle = reverse_gradient(model.domain, {lambd})",
            hint="return the handle of the hook that does the reversal, so that its remove() "
            "switches the reversal off",
        )
