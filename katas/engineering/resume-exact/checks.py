"""Hidden checks for resume-exact: ``save_checkpoint(model, optimizer)`` and
``load_checkpoint(checkpoint, model, optimizer)`` make a resumed run bitwise equal to an
uninterrupted one (Adam, dropout), through ``torch.save`` and ``torch.load``."""

import re
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, plain
from trainer.errors import LearnerGone, LearnerRaised

N_IN, N_HIDDEN, N_CLASSES, BATCH = 6, 11, 3, 5
SIZES = [N_IN, N_HIDDEN, N_CLASSES]
DROPOUT = 0.4
LR = 0.02
RNG_HINT = (
    "Dropout draws its masks from torch's global random generator, and where that stream "
    "stands is part of the training state: save torch.get_rng_state() in the checkpoint and "
    "put it back with torch.set_rng_state(...)"
)
CUDA_RNG_HINT = (
    " On a GPU, dropout draws from the CUDA generator: save torch.cuda.get_rng_state_all() "
    "too and restore it with torch.cuda.set_rng_state_all(...)"
)


def _rng_hint(device: torch.device) -> str:
    return RNG_HINT + (CUDA_RNG_HINT if device.type == "cuda" else "")


# -- the training run, in the learner process -------------------------------------------------
# Models, optimizers, training steps, torch.save and torch.load all run beside the learner's
# save_checkpoint and load_checkpoint: they share its random generators (dropout) and its
# objects. The functions below are defined there with remote.define; what they return is
# compared here.


def _build_there(
    seed: int, device: torch.device, sizes: list[int], dropout: float, lr: float
) -> list[object]:
    """The model (torch's own classes, so torch.save could pickle it whole) and its Adam."""
    torch.manual_seed(seed)
    n_in, n_hidden, n_classes = sizes
    model = nn.Sequential(
        nn.Linear(n_in, n_hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(n_hidden, n_classes),
    )
    model = model.to(device).train()
    return [model, torch.optim.Adam(model.parameters(), lr=lr)]


def _restart_there(
    seed: int, device: torch.device, sizes: list[int], dropout: float, lr: float
) -> list[object]:
    """What a new process does before loading: other random work, then fresh objects built
    from another seed."""
    torch.manual_seed(seed + 7919)
    torch.rand(13)
    # the learner process's _build_there: remote.define it before this one
    return _build_there(seed + 104729, device, sizes, dropout, lr)


def _train_there(
    model: nn.Module, optimizer: torch.optim.Optimizer, batches: list[tuple[torch.Tensor, ...]]
) -> list[float]:
    """One Adam step per batch; the losses."""
    losses = []
    for x, y in batches:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _torch_save_there(checkpoint: object) -> object:
    """torch.save(checkpoint, file), as a training script would; the file, rewound."""
    import io

    file = io.BytesIO()
    torch.save(checkpoint, file)
    file.seek(0)
    return file


def _torch_load_there(file: object) -> object:
    """torch.load with its default, weights_only=True."""
    return torch.load(file, weights_only=True)


def _adam_state_there(optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    """Adam's per-parameter state, flattened: '0.exp_avg', '0.step', ..."""
    flat = {}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            flat[f"{index}.{key}"] = torch.as_tensor(value).detach().clone().cpu()
    return flat


# -- the same, seen from here -------------------------------------------------------------------


def _build(remote: Remote, seed: int, device: torch.device) -> tuple[Any, Any]:
    model, optimizer = remote.define(_build_there)(seed, device, SIZES, DROPOUT, LR)
    return model, optimizer


def _restart(remote: Remote, seed: int, device: torch.device) -> tuple[Any, Any]:
    remote.define(_build_there)
    model, optimizer = remote.define(_restart_there)(seed, device, SIZES, DROPOUT, LR)
    return model, optimizer


def _batches(
    seed: int, steps: int, device: torch.device
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    data = torch.Generator().manual_seed(seed)
    return [
        (
            (torch.randn(BATCH, N_IN, generator=data) * 1.5 + 0.2).to(device),
            torch.randint(0, N_CLASSES, (BATCH,), generator=data).to(device),
        )
        for _ in range(steps)
    ]


def _train(
    remote: Remote, model: Any, optimizer: Any, batches: list[tuple[torch.Tensor, torch.Tensor]]
) -> list[float]:
    """One Adam step per batch, in the learner process; the losses."""
    losses: list[float] = remote.value(remote.define(_train_there)(model, optimizer, batches))
    return losses


def _save(learner: Any, remote: Remote, model: Any, optimizer: Any) -> Any:
    """save_checkpoint, written with torch.save as a training script would."""
    checkpoint = learner.save_checkpoint(model, optimizer)
    try:
        return remote.define(_torch_save_there)(checkpoint)
    except LearnerGone:
        raise
    except Exception as exc:
        raise AssertionError(
            f"torch.save(save_checkpoint(model, optimizer), file) raised {_kind(exc)}: "
            f"{_first_line(exc)}. Return a dict of state (state_dicts, tensors, numbers)"
        ) from None


def _load(learner: Any, remote: Remote, file: Any, model: Any, optimizer: Any) -> None:
    """torch.load (weights_only, its default), then load_checkpoint into fresh objects."""
    try:
        checkpoint = remote.define(_torch_load_there)(file)
    except LearnerGone:
        raise
    except Exception as exc:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        what = (
            f"it holds a pickled {found.group(1).rsplit('.', 1)[-1]} object"
            if found
            else _first_line(exc)
        )
        raise AssertionError(
            f"torch.load(file) refused the checkpoint save_checkpoint returned: {what}. "
            "By default (weights_only=True, since torch 2.6) torch.load reads only tensors, "
            "dicts, lists, tuples, numbers and strings, never pickled objects such as a whole "
            "model or optimizer: save their state_dict() instead"
        ) from None
    learner.load_checkpoint(checkpoint, model, optimizer)


def _kind(exc: BaseException) -> str:
    """The class of an exception, the learner process's name for it when it was raised there."""
    return exc.short_type if isinstance(exc, LearnerRaised) else type(exc).__name__


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return re.sub(r"\x1b\[[0-9;]*m", "", text[0])[:300] if text else _kind(exc)


def _state(remote: Remote, model: Any) -> dict[str, torch.Tensor]:
    """The learner-side model's state_dict, fetched."""
    state: dict[str, torch.Tensor] = remote.value(
        remote.eval("{n: t.detach().clone() for n, t in model.state_dict().items()}", model=model)
    )
    return state


def _differing(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> list[str]:
    return [name for name in a if name not in b or not torch.equal(a[name], b[name])]


def _optimizer_state(remote: Remote, optimizer: Any) -> dict[str, torch.Tensor]:
    """Adam's per-parameter state, flattened and fetched: '0.exp_avg', '0.step', ..."""
    flat: dict[str, torch.Tensor] = remote.value(remote.define(_adam_state_there)(optimizer))
    return flat


def test_weights(learner: Any, remote: Remote, device: torch.device) -> None:
    """load_checkpoint puts the model's weights back, bitwise"""
    for seed, done in [(0, 2), (1, 1)]:
        model, optimizer = _build(remote, seed, device)
        _train(remote, model, optimizer, _batches(seed, done, device))
        saved = _state(remote, model)
        file = _save(learner, remote, model, optimizer)
        fresh, fresh_optimizer = _restart(remote, seed, device)
        initial = _state(remote, fresh)
        _load(learner, remote, file, fresh, fresh_optimizer)
        loaded = _state(remote, fresh)
        wrong = _differing(saved, loaded)
        untouched = not _differing(initial, loaded)
        assert not wrong, (
            f"after {done} training steps, save, and load_checkpoint into a freshly built model, "
            f"these weights differ from the saved ones: {', '.join(wrong)}. "
            + (
                "The model still has its fresh random initialisation: load the saved "
                "model.state_dict() into it with model.load_state_dict(...) (strict=False "
                "would hide that the keys did not match)"
                if untouched
                else "Load the saved model.state_dict() with model.load_state_dict(...)"
            )
        )


def test_optimizer(learner: Any, remote: Remote, device: torch.device) -> None:
    """load_checkpoint puts Adam's state back: step counts and both moment estimates"""
    for seed, done in [(10, 2), (11, 3)]:
        model, optimizer = _build(remote, seed, device)
        _train(remote, model, optimizer, _batches(seed, done, device))
        saved = _optimizer_state(remote, optimizer)
        lr = optimizer.param_groups[0]["lr"]
        file = _save(learner, remote, model, optimizer)
        fresh, fresh_optimizer = _restart(remote, seed, device)
        _load(learner, remote, file, fresh, fresh_optimizer)
        got = _optimizer_state(remote, fresh_optimizer)
        assert got, (
            f"after {done} Adam steps, save, and load_checkpoint into a freshly built optimizer, "
            "optimizer.state is empty: Adam starts again from step 0 with zero moment "
            "estimates, so its next update has the size of a first step and the run takes a "
            "different path. Save optimizer.state_dict() and restore it with "
            "optimizer.load_state_dict(...)"
        )
        wrong = _differing(saved, got)
        assert not wrong, (
            f"after {done} Adam steps, save, and load_checkpoint, these entries of the "
            f"optimizer's state differ from the saved ones: {', '.join(wrong[:6])}. Restore "
            "the saved optimizer.state_dict() with optimizer.load_state_dict(...)"
        )
        group = fresh_optimizer.param_groups[0]
        fresh_lr = group["lr"]
        assert fresh_lr == lr, (
            f"after load_checkpoint the learning rate is {fresh_lr}, expected {lr}, the one saved"
        )
        # the same learner objects are the same proxies
        assert all(
            p is q for p, q in zip(list(group["params"]), list(fresh.parameters()), strict=True)
        ), (
            "after load_checkpoint, the optimizer no longer holds the model's parameters: "
            "load into the objects you were given, do not build new ones"
        )


def test_dropout(learner: Any, remote: Remote, device: torch.device) -> None:
    """after resuming, dropout draws the masks the uninterrupted run draws next"""
    for seed, done in [(20, 2), (21, 1)]:
        model, optimizer = _build(remote, seed, device)
        _train(remote, model, optimizer, _batches(seed, done, device))
        file = _save(learner, remote, model, optimizer)
        ones = torch.ones(4, 16, device=device)
        # what the uninterrupted run's next dropout draws
        expected = plain(model[2](ones), "the uninterrupted run's dropout")
        fresh, fresh_optimizer = _restart(remote, seed, device)
        _load(learner, remote, file, fresh, fresh_optimizer)
        got = plain(fresh[2](ones), "the resumed run's dropout")
        differ = int((got != expected).sum())
        assert differ == 0, (
            f"after {done} steps, save, restart and load_checkpoint, the next dropout mask "
            f"differs from the uninterrupted run's in {differ} of {ones.numel()} positions, so "
            "every later step sees other units dropped. " + _rng_hint(device) + ". Re-seeding "
            "with torch.manual_seed on load is no fix: it replays the masks of the first steps"
        )


def test_bitwise(learner: Any, remote: Remote, device: torch.device) -> None:
    """steps, save, restart, load, more steps: bitwise the uninterrupted run"""
    for seed, (done, total) in enumerate([(2, 4), (1, 3)], start=30):
        batches = _batches(seed, total, device)
        model, optimizer = _build(remote, seed, device)
        expected_losses = _train(remote, model, optimizer, batches)
        expected = _state(remote, model)

        model, optimizer = _build(remote, seed, device)
        _train(remote, model, optimizer, batches[:done])
        file = _save(learner, remote, model, optimizer)
        fresh, fresh_optimizer = _restart(remote, seed, device)
        _load(learner, remote, file, fresh, fresh_optimizer)
        losses = _train(remote, fresh, fresh_optimizer, batches[done:])
        scene = (
            f"{total} uninterrupted Adam steps against {done} steps, save, restart, "
            f"load_checkpoint and {total - done} steps"
        )
        for step, (got, want) in enumerate(
            zip(losses, expected_losses[done:], strict=True), start=done + 1
        ):
            assert got == want, (
                f"{scene}: the loss of step {step} is {got:.10g} after resuming, "
                f"{want:.10g} in the uninterrupted run. Everything the next steps depend on "
                "must come back: the weights, the optimizer's state and the random generator's "
                "state (dropout)"
            )
        wrong = _differing(expected, _state(remote, fresh))
        assert not wrong, (
            f"{scene}: the final weights differ ({', '.join(wrong)}), though the losses "
            "matched. Restore the optimizer's state as well as the weights"
        )
