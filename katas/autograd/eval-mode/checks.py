"""Hidden checks for eval-mode: evaluation in eval mode, without autograd, state restored."""

import copy
from typing import Any

import torch
from torch import nn

from trainer.checks import Remote, type_name

N_IN, N_HIDDEN, N_CLASSES = 6, 9, 4


class _Probe(nn.Module):
    """Identity layer that records, at every forward, grad mode and every module's mode."""

    def __init__(self) -> None:
        super().__init__()
        self.grad_enabled: list[bool] = []
        self.modes: list[dict[str, bool]] = []
        self.watched: list[tuple[str, nn.Module]] = []  # a plain list: not registered

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.grad_enabled.append(torch.is_grad_enabled())
        self.modes.append({name: m.training for name, m in self.watched})
        return x


class _Net(nn.Module):
    def __init__(self, n_in: int, n_hidden: int, n_classes: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_in, n_hidden), nn.BatchNorm1d(n_hidden), nn.ReLU(), nn.Dropout(0.4)
        )
        self.probe = _Probe()
        self.head = nn.Linear(n_hidden, n_classes)
        self.probe.watched = [(name or "model", m) for name, m in self.named_modules()]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.probe(self.body(x)))


def _copy_of(
    kind: type[nn.Module],
    sizes: tuple[int, ...],
    state: dict[str, torch.Tensor],
    device: torch.device,
    training: bool,
) -> nn.Module:
    """``kind(*sizes)`` with the state ``state``, in train mode or not (defined in the learner
    process)."""
    model = kind(*sizes).to(device)
    model.load_state_dict(state)
    return model.train(training)


def _model(seed: int, remote: Remote, device: torch.device) -> tuple[_Net, Any]:
    """A model in the middle of training: train mode, BatchNorm statistics already moved.

    Built here (the twin that labels the data) and, with the same state, in the learner
    process (the model evaluate gets, whose probe records what happened there)."""
    torch.manual_seed(seed)
    model = _Net(N_IN, N_HIDDEN, N_CLASSES)
    bn = model.body[1]
    assert isinstance(bn, nn.BatchNorm1d)
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(N_HIDDEN) * 0.5)
        bn.running_var.copy_(torch.rand(N_HIDDEN) + 0.5)
        bn.num_batches_tracked.fill_(37)
    model = model.to(device).train()
    remote.define(_Probe)
    sizes, state = (N_IN, N_HIDDEN, N_CLASSES), dict(model.state_dict())
    theirs = remote.define(_copy_of)(remote.define(_Net), sizes, state, device, True)
    return model, theirs


def _loader(
    model: _Net, sizes: list[int], hits: list[int], device: torch.device
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Batches of the given sizes; the first hits[i] samples of batch i are labelled with the
    eval-mode prediction (so they count as correct), the others with another class."""
    twin = copy.deepcopy(model).eval()
    batches = []
    for size, hit in zip(sizes, hits, strict=True):
        x = (torch.randn(size, N_IN) * 2 + 0.3).to(device)
        with torch.no_grad():
            pred = twin(x).argmax(dim=1)
        offset = torch.randint(1, N_CLASSES, (size,), device=device)
        y = torch.where(torch.arange(size, device=device) < hit, pred, (pred + offset) % N_CLASSES)
        batches.append((x, y))
    return batches


def _fetch(remote: Remote, expression: str, model: Any) -> Any:
    """What ``expression`` (of ``model``) holds in the learner process, as plain data here."""
    return remote.value(remote.eval(expression, model=model))


def _state(remote: Remote, model: Any) -> dict[str, torch.Tensor]:
    return _fetch(remote, "{n: b.detach().clone() for n, b in model.named_buffers()}", model)


def test_accuracy(learner: Any, remote: Remote, device: torch.device) -> None:
    """returns the accuracy over all samples"""
    cases = [([4, 2, 1], [1, 2, 0]), ([5], [2]), ([6, 6, 3], [6, 1, 3])]
    for seed, (sizes, hits) in enumerate(cases):
        twin, model = _model(seed, remote, device)
        loader = _loader(twin, sizes, hits, device)
        expected = sum(hits) / sum(sizes)
        try:
            got = learner.evaluate(model, loader)
        except ValueError as exc:
            if "Expected more than 1 value per channel when training" not in str(exc):
                raise
            raise AssertionError(
                f"evaluate raised for batches of sizes {sizes}: BatchNorm in train mode "
                "normalises with the batch's own statistics, which a batch of one does not "
                "have. In eval mode it uses its running statistics: call model.eval() first"
            ) from None
        assert isinstance(got, float), (
            f"evaluate returned {type_name(got)}, expected a Python float"
        )
        if type(got) is not float:  # a float subclass of the learner process: its value
            name, got = type_name(got), remote.eval("float(value)", value=got)
            assert type(got) is float, f"float() of what evaluate returned ({name}) is no float"
        per_batch = sum(h / s for h, s in zip(hits, sizes, strict=True)) / len(sizes)
        why = (
            "that is the mean of the per-batch accuracies: with batches of different sizes, "
            "count correct samples over the whole loader and divide once"
            if abs(got - per_batch) < 1e-6 and len(sizes) > 1
            else "in eval mode the model is deterministic, so the accuracy is exact"
        )
        assert abs(got - expected) < 1e-6, (
            f"evaluate returned {got:.6f} for batches of sizes {sizes} with {sum(hits)} of "
            f"{sum(sizes)} samples correct (in eval mode), expected {expected:.6f}: {why}"
        )


def test_no_grad(learner: Any, remote: Remote, device: torch.device) -> None:
    """the forward passes run with gradient tracking off"""
    twin, model = _model(10, remote, device)
    learner.evaluate(model, _loader(twin, [5, 3], [2, 2], device))
    records: list[bool] = _fetch(remote, "model.probe.grad_enabled", model)
    assert records, "evaluate never called the model"
    assert not any(records), (
        f"gradient tracking was on in {sum(records)} of {len(records)} forward passes: "
        "autograd recorded a graph and kept every activation alive for a backward that "
        "never comes. Run evaluation inside torch.no_grad() (or torch.inference_mode()); "
        "model.eval() does not switch autograd off"
    )


def test_eval_mode(learner: Any, remote: Remote, device: torch.device) -> None:
    """every module is in eval mode during the forward passes"""
    twin, model = _model(20, remote, device)
    learner.evaluate(model, _loader(twin, [5, 3], [2, 2], device))
    passes: list[dict[str, bool]] = _fetch(remote, "model.probe.modes", model)
    assert passes, "evaluate never called the model"
    for modes in passes:
        training = [name for name, flag in modes.items() if flag]
        assert not training, (
            f"during evaluation, these modules were in train mode: {', '.join(training)}. "
            "Dropout then drops activations at random and BatchNorm normalises with the "
            "batch's statistics (and updates its running ones); call model.eval() first. "
            "torch.no_grad() does not change the mode"
        )


def test_batchnorm_untouched(learner: Any, remote: Remote, device: torch.device) -> None:
    """BatchNorm running statistics stay bitwise unchanged"""
    twin, model = _model(30, remote, device)
    before = _state(remote, model)
    learner.evaluate(model, _loader(twin, [6, 4], [3, 1], device))
    for name, value in _state(remote, model).items():
        assert torch.equal(value, before[name]), (
            f"evaluate changed the buffer {name}: BatchNorm updates its running statistics "
            "in train mode, with or without torch.no_grad(), so validation data leaks into "
            "the model. Evaluate in eval mode (model.eval())"
        )


def test_mode_restored(learner: Any, remote: Remote, device: torch.device) -> None:
    """the model's train/eval mode is as evaluate found it"""
    for was_training in (True, False):
        twin, model = _model(40, remote, device)
        model.train(was_training)
        learner.evaluate(model, _loader(twin, [4, 3], [1, 2], device))
        modes: list[tuple[str, bool]] = _fetch(
            remote, "[(name, m.training) for name, m in model.named_modules()]", model
        )
        wrong = [name or "model" for name, training in modes if training != was_training]
        mode = "train" if was_training else "eval"
        assert not wrong, (
            f"the model was in {mode} mode before evaluate, but afterwards these modules "
            f"are not: {', '.join(wrong)}. "
            + (
                "Training goes on after evaluation, so put train mode back"
                if was_training
                else "A caller that was already evaluating must stay in eval mode: restore "
                "the mode you found (model.train(was_training)), not always train mode"
            )
        )


def test_grad_mode_restored(learner: Any, remote: Remote, device: torch.device) -> None:
    """gradient tracking is on again after evaluate returns"""
    twin, model = _model(50, remote, device)
    learner.evaluate(model, _loader(twin, [3, 2], [1, 1], device))
    enabled = remote.torch.is_grad_enabled()  # the learner process's grad mode
    remote.torch.set_grad_enabled(True)
    assert enabled is True, (
        "after evaluate returned, gradient tracking was still off, so the next training "
        "step records nothing and backward() fails. Use torch.no_grad() as a context manager "
        "(with ...:) or decorator, which restores the previous mode, not "
        "torch.set_grad_enabled(False)"
    )


def test_requires_grad_restored(learner: Any, remote: Remote, device: torch.device) -> None:
    """every parameter's requires_grad is as evaluate found it"""
    twin, model = _model(60, remote, device)
    # fine-tuning: part of the model is frozen, and must stay so
    remote.eval("[p.requires_grad_(False) for p in model.body[0].parameters()]", model=model)
    expression = "[(n, p.requires_grad) for n, p in model.named_parameters()]"
    before: list[tuple[str, bool]] = _fetch(remote, expression, model)
    learner.evaluate(model, _loader(twin, [4, 2], [2, 1], device))
    after = dict(_fetch(remote, expression, model))
    changed = [
        f"{name} ({'trainable' if flag else 'frozen'} before, "
        f"{'trainable' if after.get(name) else 'frozen'} after)"
        for name, flag in before
        if after.get(name) != flag
    ]
    assert not changed, (
        f"evaluate changed which parameters require grad: {', '.join(changed)}. Training goes "
        "on after evaluation with the parameters as they were, frozen ones included. "
        "torch.no_grad() switches gradient tracking off without touching requires_grad"
    )
