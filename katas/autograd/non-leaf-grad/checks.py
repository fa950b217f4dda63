"""Hidden checks for non-leaf-grad: the gradient at an intermediate activation, with the
training step's parameter gradients intact."""

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, default_tolerances, plain

N_IN, N_HIDDEN, N_CLASSES = 5, 7, 4
SECOND_TIME = "backward through the graph a second time"
F32 = {"rtol": 1e-5, "atol": 1e-6}


class _Counting(nn.Module):
    """Wraps a module and counts its forward calls."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.inner(x)


class _Classifier(nn.Module):
    """Defined in the learner process too (remote.define): self-contained, sizes as arguments."""

    def __init__(self, n_in: int, n_hidden: int, n_classes: int) -> None:
        super().__init__()
        self.encoder = _Counting(nn.Sequential(nn.Linear(n_in, n_hidden), nn.Tanh()))
        self.head = _Counting(nn.Linear(n_hidden, n_classes))


SIZES = (N_IN, N_HIDDEN, N_CLASSES)


def _setup(
    remote: Remote, seed: int, n: int, device: torch.device
) -> tuple[Any, _Classifier, torch.Tensor, torch.Tensor]:
    """The model handed to the learner (in its process), its twin here with the same
    weights, and a batch."""
    torch.manual_seed(seed)
    twin = _Classifier(*SIZES).to(device)
    x = (torch.randn(n, N_IN) * 2 - 0.3).to(device)
    y = torch.randint(0, N_CLASSES, (n,)).to(device)
    remote.define(_Counting)
    model = remote.define(_Classifier)(*SIZES).to(device)
    model.load_state_dict(dict(twin.state_dict()))
    return model, twin, x, y


def _call(learner: Any, model: Any, x: torch.Tensor, y: torch.Tensor) -> Any:
    try:
        return learner.backward_with_feature_grad(model, x, y)
    except RuntimeError as exc:
        if SECOND_TIME not in str(exc):
            raise
        raise AssertionError(
            "backward_with_feature_grad raised 'Trying to backward through the graph a second "
            "time': the first pass (backward() or autograd.grad) freed the graph. Pass "
            "retain_graph=True to the first one, or get both gradients from one backward "
            "(h.retain_grad() or a hook on h)"
        ) from None


def _expected_feature_grad(model: _Classifier, x: torch.Tensor, y: torch.Tensor):
    """d loss / d h by hand: (softmax(logits) - onehot(y)) @ W_head / N."""
    with torch.no_grad():
        h = model.encoder.inner(x)
        head = model.head.inner
        assert isinstance(head, nn.Linear)
        probs = torch.softmax(head(h), dim=1)
        onehot = F.one_hot(y, N_CLASSES).to(probs.dtype)
        return (probs - onehot) @ head.weight / len(y)


def _returned(learner: Any, model: Any, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    got = _call(learner, model, x, y)
    assert got is not None, (
        "backward_with_feature_grad returned None: h = model.encoder(x) is not a leaf (it "
        "has a grad_fn), and backward() keeps .grad for leaves only. Call h.retain_grad() "
        "before backward() (not after: by then the gradient has passed), or use a hook on h "
        "or torch.autograd.grad"
    )
    return plain(got, "the returned gradient")


def test_shape(learner: Any, remote: Remote, device: torch.device) -> None:
    """returns a tensor shaped like h"""
    for seed, n in enumerate([1, 6]):
        model, _, x, y = _setup(remote, seed, n, device)
        got = _returned(learner, model, x, y)
        assert tuple(got.shape) == (n, N_HIDDEN), (
            f"the returned gradient has shape {tuple(got.shape)}, expected {(n, N_HIDDEN)}, "
            f"the shape of h = model.encoder(x) for a batch of {n}"
        )


def test_feature_grad(learner: Any, remote: Remote, device: torch.device) -> None:
    """the returned tensor equals d loss / d h"""
    for seed, n in enumerate([1, 6, 3], start=10):
        model, twin, x, y = _setup(remote, seed, n, device)
        expected = _expected_feature_grad(twin, x, y)
        assert_close(
            _returned(learner, model, x, y),
            expected,
            what="the returned d loss / d h",
            inputs=f"a batch of {n}",
            hint="it must be the gradient of the mean cross-entropy with respect to the "
            "encoder's output",
            **F32,
        )


def test_parameter_grads(learner: Any, remote: Remote, device: torch.device) -> None:
    """every parameter gets d loss / d parameter, as from loss.backward()"""
    for seed, n in enumerate([1, 5], start=20):
        model, twin, x, y = _setup(remote, seed, n, device)
        F.cross_entropy(twin.head(twin.encoder(x)), y).backward()
        _call(learner, model, x, y)
        # every parameter's .grad, by value, in one request
        grads = remote.value(remote.eval("{n: p.grad for n, p in m.named_parameters()}", m=model))
        assert any(g is not None for g in grads.values()), (
            "after backward_with_feature_grad, no parameter has a .grad: the training step's "
            "backward never ran. torch.autograd.grad returns gradients without filling "
            ".grad; call loss.backward() as well (or use h.retain_grad() or a hook)"
        )
        for (name, grad), twin_param in zip(grads.items(), twin.parameters(), strict=True):
            shown = name.replace(".inner", "")
            why = (
                "the encoder got no gradient. Detaching h (h.detach().requires_grad_()) "
                "makes it a leaf, but cuts the encoder out of the graph, so it stops "
                "learning"
                if shown.startswith("encoder")
                else "did backward() run on the loss?"
            )
            assert grad is not None, (
                f"after backward_with_feature_grad, {shown}.grad is None: {why}"
            )
            expected = plain(twin_param.grad)
            rtol, atol = default_tolerances(expected.dtype, expected.device)
            got = plain(grad, f"{shown}.grad")
            doubled = torch.allclose(got, 2 * expected, rtol=10 * rtol, atol=atol)
            assert_close(
                got,
                expected,
                what=f"{shown}.grad",
                inputs=f"a batch of {n}",
                hint="twice the gradient: the loss was backpropagated twice" if doubled else "",
                **F32,
            )


def test_runs_once(learner: Any, remote: Remote, device: torch.device) -> None:
    """the encoder and the head run once per call"""
    model, _, x, y = _setup(remote, 30, 4, device)
    _call(learner, model, x, y)
    calls = remote.value(remote.eval("{'encoder': m.encoder.calls, 'head': m.head.calls}", m=model))
    extra = {k: v for k, v in calls.items() if v != 1}
    assert not extra, (
        "in one call, "
        + ", ".join(f"model.{k} ran {v} times" for k, v in extra.items())
        + ", expected once each: a second forward pass just to get h's gradient doubles "
        "the cost. Get it from the same graph (h.retain_grad(), a hook, or autograd.grad "
        "with retain_graph=True)"
    )
