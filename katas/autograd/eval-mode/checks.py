"""Hidden checks for eval-mode: evaluation in eval mode, without autograd, state restored."""

import copy
from types import ModuleType

import torch
from torch import nn

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
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(N_IN, N_HIDDEN), nn.BatchNorm1d(N_HIDDEN), nn.ReLU(), nn.Dropout(0.4)
        )
        self.probe = _Probe()
        self.head = nn.Linear(N_HIDDEN, N_CLASSES)
        self.probe.watched = [(name or "model", m) for name, m in self.named_modules()]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.probe(self.body(x)))


def _model(seed: int, device: torch.device) -> _Net:
    """A model in the middle of training: train mode, BatchNorm statistics already moved."""
    torch.manual_seed(seed)
    model = _Net()
    bn = model.body[1]
    assert isinstance(bn, nn.BatchNorm1d)
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(N_HIDDEN) * 0.5)
        bn.running_var.copy_(torch.rand(N_HIDDEN) + 0.5)
        bn.num_batches_tracked.fill_(37)
    return model.to(device).train()


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


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: b.detach().clone() for name, b in model.named_buffers()}


def test_accuracy(learner: ModuleType, device: torch.device) -> None:
    """returns the accuracy over all samples"""
    cases = [([4, 2, 1], [1, 2, 0]), ([5], [2]), ([6, 6, 3], [6, 1, 3])]
    for seed, (sizes, hits) in enumerate(cases):
        model = _model(seed, device)
        loader = _loader(model, sizes, hits, device)
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
            f"evaluate returned {type(got).__name__}, expected a Python float"
        )
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


def test_no_grad(learner: ModuleType, device: torch.device) -> None:
    """the forward passes run with gradient tracking off"""
    model = _model(10, device)
    learner.evaluate(model, _loader(model, [5, 3], [2, 2], device))
    records = model.probe.grad_enabled
    assert records, "evaluate never called the model"
    assert not any(records), (
        f"gradient tracking was on in {sum(records)} of {len(records)} forward passes: "
        "autograd recorded a graph and kept every activation alive for a backward that "
        "never comes. Run evaluation inside torch.no_grad() (or torch.inference_mode()); "
        "model.eval() does not switch autograd off"
    )


def test_eval_mode(learner: ModuleType, device: torch.device) -> None:
    """every module is in eval mode during the forward passes"""
    model = _model(20, device)
    learner.evaluate(model, _loader(model, [5, 3], [2, 2], device))
    assert model.probe.modes, "evaluate never called the model"
    for modes in model.probe.modes:
        training = [name for name, flag in modes.items() if flag]
        assert not training, (
            f"during evaluation, these modules were in train mode: {', '.join(training)}. "
            "Dropout then drops activations at random and BatchNorm normalises with the "
            "batch's statistics (and updates its running ones); call model.eval() first. "
            "torch.no_grad() does not change the mode"
        )


def test_batchnorm_untouched(learner: ModuleType, device: torch.device) -> None:
    """BatchNorm running statistics stay bitwise unchanged"""
    model = _model(30, device)
    before = _state(model)
    learner.evaluate(model, _loader(model, [6, 4], [3, 1], device))
    for name, value in _state(model).items():
        assert torch.equal(value, before[name]), (
            f"evaluate changed the buffer {name}: BatchNorm updates its running statistics "
            "in train mode, with or without torch.no_grad(), so validation data leaks into "
            "the model. Evaluate in eval mode (model.eval())"
        )


def test_mode_restored(learner: ModuleType, device: torch.device) -> None:
    """the model's train/eval mode is as evaluate found it"""
    for was_training in (True, False):
        model = _model(40, device).train(was_training)
        learner.evaluate(model, _loader(model, [4, 3], [1, 2], device))
        wrong = [name or "model" for name, m in model.named_modules() if m.training != was_training]
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


def test_grad_mode_restored(learner: ModuleType, device: torch.device) -> None:
    """gradient tracking is on again after evaluate returns"""
    model = _model(50, device)
    learner.evaluate(model, _loader(model, [3, 2], [1, 1], device))
    enabled = torch.is_grad_enabled()
    torch.set_grad_enabled(True)
    assert enabled, (
        "after evaluate returned, gradient tracking was still off, so the next training "
        "step records nothing and backward() fails. Use torch.no_grad() as a context manager "
        "(with ...:) or decorator, which restores the previous mode, not "
        "torch.set_grad_enabled(False)"
    )
